#include "shield/privdrop.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/err.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38 /* Linux 5.8; older headers lack the names */
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int sw_privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "user '%s': %s", user,
			 rc ? strerror(rc) : "no such user (create it, or leave user empty)");
		return SW_E_INVAL;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

/* Whether this kernel knows CAP_BPF: asking for an unknown capability would fail the drop. */
static bool kernel_has_cap_bpf(void)
{
	return prctl(PR_CAPBSET_READ, CAP_BPF, 0, 0, 0) >= 0;
}

int sw_privdrop(const char *user, bool keep_bpf, char *err, size_t errlen)
{
	uid_t uid = 0;
	gid_t gid = 0;
	bool switch_user = user && user[0];
	if (switch_user && sw_privdrop_lookup(user, &uid, &gid, err, errlen) != 0)
		return SW_E_INVAL;
	int keep[4], n = 0;
	keep[n++] = CAP_NET_ADMIN;
	keep[n++] = CAP_NET_RAW;
	if (keep_bpf && kernel_has_cap_bpf()) {
		/* the verifier treats a loader without CAP_PERFMON as unprivileged (no pointer
		 * comparisons, speculation hardening) and refuses the deny program */
		keep[n++] = CAP_BPF;
		keep[n++] = CAP_PERFMON;
	} else if (keep_bpf) {
		keep[n++] = CAP_SYS_ADMIN;
	}

	capng_clear(CAPNG_SELECT_ALL);
	for (int i = 0; i < n; i++) {
		capng_type_t sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET;
		if (switch_user)
			sets |= CAPNG_INHERITABLE | CAPNG_AMBIENT;
		if (capng_update(CAPNG_ADD, sets, (unsigned)keep[i]) != 0) {
			snprintf(err, errlen, "dropping privileges: cannot keep capability %d",
				 keep[i]);
			return SW_E_IO;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "dropping privileges: no_new_privs: %s", strerror(errno));
		return SW_E_IO;
	}
	int rc;
	if (switch_user) {
		/*
		 * capng_change_id keeps the capabilities across setuid (PR_SET_KEEPCAPS), switches
		 * group, supplementary groups and user, then applies the capability sets selected
		 * above; the ambient set is applied after it, as the last step.
		 */
		/* the bounding set first: changing it needs CAP_SETPCAP, gone after the switch */
		rc = capng_apply(CAPNG_SELECT_BOUNDS);
		if (rc == 0)
			rc = capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP);
		if (rc == 0)
			rc = capng_apply(CAPNG_SELECT_ALL);
	} else {
		rc = capng_apply(CAPNG_SELECT_ALL);
	}
	if (rc != 0) {
		snprintf(err, errlen, "dropping privileges%s%s failed (libcap-ng %d)",
			 switch_user ? " to user " : "", switch_user ? user : "", rc);
		return SW_E_IO;
	}
	return 0;
}

void sw_privdrop_describe(char *buf, size_t len)
{
	capng_get_caps_process();
	char *s = capng_print_caps_text(CAPNG_PRINT_BUFFER, CAPNG_EFFECTIVE);
	snprintf(buf, len, "uid %u, capabilities %s", (unsigned)geteuid(), s && s[0] ? s : "none");
	free(s);
}
