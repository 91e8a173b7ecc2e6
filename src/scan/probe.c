#include "scan/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

static const char bare[] = "OPTIONS";

int sw_probe_init(struct sw_probe *p, const char *spec, const char *contact, char *err,
		  size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (contact) {
		size_t n = strlen(contact);
		if (n >= sizeof(p->contact) || strpbrk(contact, "\r\n<>\"")) {
			snprintf(err, errlen,
				 "contact URI '%s' is too long or holds < > \" CR or LF", contact);
			return SW_E_INVAL;
		}
		memcpy(p->contact, contact, n + 1);
	}
	if (strcmp(spec, "bare") == 0) {
		p->kind = SW_PROBE_BARE;
		p->name = "bare";
		p->len = sizeof(bare) - 1;
		p->data = malloc(p->len);
		if (!p->data)
			return SW_E_NOMEM;
		memcpy(p->data, bare, p->len);
		return 0;
	}
	if (strcmp(spec, "options") == 0) {
		p->kind = SW_PROBE_OPTIONS;
		p->name = "options";
		if (sw_token_key_random(&p->key) != 0) {
			snprintf(err, errlen, "no random bytes for the token key: %s",
				 strerror(errno));
			return SW_E_IO;
		}
		return 0;
	}
	p->kind = SW_PROBE_FILE;
	p->name = spec;
	int fd = open(spec, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "probe '%s' is not bare, options or a readable file: %s",
			 spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return SW_E_IO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > SW_PROBE_MAX) {
		snprintf(err, errlen, "probe file '%s' must hold 1 to %d bytes", spec,
			 SW_PROBE_MAX);
		close(fd);
		return SW_E_RANGE;
	}
	p->len = (uint32_t)st.st_size;
	p->data = malloc(p->len);
	ssize_t got = p->data ? read(fd, p->data, p->len) : -1;
	close(fd);
	if (got != (ssize_t)p->len) {
		snprintf(err, errlen, "probe file '%s': short read", spec);
		sw_probe_free(p);
		return SW_E_IO;
	}
	return 0;
}

void sw_probe_free(struct sw_probe *p)
{
	free(p->data);
	p->data = NULL;
}

/* "host:port" for a URI or Via: IPv6 in brackets. */
static void hostport(const struct sw_endpoint *ep, char *buf, size_t len)
{
	sw_endpoint_format(ep, buf, len);
}

uint32_t sw_probe_payload(const struct sw_probe *p, const struct sw_endpoint *target,
			  const struct sw_endpoint *src, char *buf, size_t cap,
			  const uint8_t **ret_data)
{
	if (p->kind != SW_PROBE_OPTIONS) {
		*ret_data = p->data;
		return p->len;
	}
	uint64_t token;
	if (sw_token_make(&p->key, target, &token) != 0)
		return 0;
	char dst[SW_ENDPOINT_STRLEN], me[SW_ENDPOINT_STRLEN], me_addr[SW_ADDR_STRLEN + 2];
	char branch[SW_TOKEN_BRANCH_LEN + 1], tag[SW_TOKEN_B62_LEN + 1];
	hostport(target, dst, sizeof(dst));
	hostport(src, me, sizeof(me));
	if (src->family == AF_INET6) {
		char a[SW_ADDR_STRLEN];
		sw_addr_format(src, a, sizeof(a));
		snprintf(me_addr, sizeof(me_addr), "[%s]", a);
	} else {
		sw_addr_format(src, me_addr, sizeof(me_addr));
	}
	sw_token_branch(token, branch);
	sw_token_b62(token, tag);
	char contact[300];
	if (p->contact[0])
		snprintf(contact, sizeof(contact), "%s", p->contact);
	else
		snprintf(contact, sizeof(contact), "sip:sipwarden@%s", me);
	int n = snprintf(buf, cap,
			 "OPTIONS sip:%s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:sipwarden@%s>;tag=%s\r\n"
			 "To: <sip:%s>\r\n"
			 "Call-ID: %s@sipwarden\r\n"
			 "CSeq: 1 OPTIONS\r\n"
			 "Contact: <%s>\r\n"
			 "User-Agent: sipwarden/" SW_VERSION "\r\n"
			 "Accept: application/sdp\r\n"
			 "Content-Length: 0\r\n"
			 "\r\n",
			 dst, me, branch, me_addr, tag, dst, tag, contact);
	if (n <= 0 || (size_t)n >= cap)
		return 0;
	*ret_data = (const uint8_t *)buf;
	return (uint32_t)n;
}
