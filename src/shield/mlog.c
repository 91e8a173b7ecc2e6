/* Matched-message log (shield/mlog.h). */
#include "shield/mlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/timefmt.h"
#include "net/pcapw.h"

struct sw_mlog {
	FILE *f;
	char *path;
	uint64_t max, bytes, records;
	struct sw_pcapw *pcap;
	struct sw_json j;
};

int sw_mlog_open(const char *path, uint64_t max_bytes, const char *pcap_path,
		 uint64_t pcap_max_bytes, struct sw_mlog **ret, char *err, size_t errlen)
{
	struct sw_mlog *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return SW_E_NOMEM;
	}
	l->max = max_bytes;
	if (path && path[0]) {
		l->path = strdup(path);
		l->f = fopen(path, "a");
		if (!l->path || !l->f) {
			snprintf(err, errlen, "log %s: %s", path, strerror(errno));
			sw_mlog_close(l);
			return SW_E_IO;
		}
		long pos = ftell(l->f);
		l->bytes = pos > 0 ? (uint64_t)pos : 0;
		sw_json_init(&l->j, l->f);
	}
	if (pcap_path && pcap_path[0]) {
		int rc = sw_pcapw_open(pcap_path, pcap_max_bytes, &l->pcap, err, errlen);
		if (rc != 0) {
			sw_mlog_close(l);
			return rc;
		}
	}
	*ret = l;
	return 0;
}

bool sw_mlog_wants(const struct sw_verdict *v)
{
	return v->action != SW_ACT_ACCEPT || v->fp.score > 0;
}

void sw_mlog_record(struct sw_json *j, const struct sw_engine *e, const struct sw_packet *p,
		    const struct sw_verdict *v, uint64_t ts_usec)
{
	const struct sw_shield_config *cfg = sw_engine_config(e);
	const struct sw_rules *rules = sw_engine_rules(e);
	char src[SW_ENDPOINT_STRLEN], dst[SW_ENDPOINT_STRLEN], ts[40];
	sw_endpoint_format(&p->src, src, sizeof(src));
	sw_endpoint_format(&p->dst, dst, sizeof(dst));
	sw_time_iso(ts_usec ? ts_usec : p->now_ms * 1000, ts, sizeof(ts));
	sw_json_obj_open(j, NULL);
	sw_json_cstr(j, "time", ts);
	sw_json_cstr(j, "src", src);
	sw_json_cstr(j, "dst", dst);
	sw_json_cstr(j, "dir", p->dir == SW_DIR_IN ? "in" : "out");
	sw_json_cstr(j, "realm", cfg->realms[v->realm].name);
	sw_json_cstr(j, "trust", sw_trust_level_name(v->trust));
	sw_json_cstr(j, "verdict", v->action == SW_ACT_ACCEPT ? "flag" : sw_action_name(v->action));
	sw_json_cstr(j, "reason", sw_reason_name(v->reason));
	if (v->tracked) {
		sw_json_cstr(j, "state", sw_src_state_name(v->state_after));
		sw_json_cstr(j, "state_before", sw_src_state_name(v->state_before));
		if (v->state_after == SW_SRC_DENIED) {
			char until[40];
			sw_time_iso(v->deny_until * 1000, until, sizeof(until));
			sw_json_cstr(j, "deny_until", until);
		}
	}
	const struct sip_msg *m = v->msg;
	if (v->parse_rc != 0) {
		sw_json_cstr(j, "parse_error", sw_strerror(v->parse_rc));
	} else if (m) {
		if (m->is_request)
			sw_json_str(j, "method", m->method);
		else
			sw_json_int(j, "status", m->status);
		if (m->call_id.p)
			sw_json_str(j, "call_id", m->call_id);
		if (m->user_agent.p)
			sw_json_str(j, "user_agent", m->user_agent);
	}
	if (v->fp.score > 0) {
		sw_json_int(j, "score", v->fp.score);
		if (v->fp.tool)
			sw_json_cstr(j, "tool", v->fp.tool);
		sw_json_arr_open(j, "rules");
		for (unsigned i = 0; i < v->fp.nmatch; i++) {
			const struct sw_fp_match *mm = &v->fp.m[i];
			sw_json_obj_open(j, NULL);
			sw_json_cstr(j, "id", sw_rules_rule_id(rules, mm->rule));
			sw_json_cstr(j, "tool", sw_rules_rule_tool(rules, mm->rule));
			sw_json_cstr(j, "field", sw_rules_field_name(mm->field));
			if (mm->value.p)
				sw_json_str(j, "value", mm->value);
			sw_json_obj_close(j);
		}
		sw_json_arr_close(j);
	}
	if (v->reason == SW_REASON_UA_DENY || v->reason == SW_REASON_UA_ALLOW) {
		if (v->ua.p)
			sw_json_str(j, "matched_user_agent", v->ua);
		else
			sw_json_null(j, "matched_user_agent");
	}
	sw_json_obj_close(j);
}

static int rotate(struct sw_mlog *l)
{
	size_t n = strlen(l->path);
	char *old = malloc(n + 3);
	if (!old)
		return SW_E_NOMEM;
	memcpy(old, l->path, n);
	memcpy(old + n, ".1", 3);
	fclose(l->f);
	/* one generation kept: the log never holds more than twice log-max-size */
	int rc = rename(l->path, old) == 0 ? 0 : SW_E_IO;
	free(old);
	l->f = fopen(l->path, "w");
	if (!l->f)
		return SW_E_IO;
	sw_json_init(&l->j, l->f);
	l->bytes = 0;
	return rc;
}

int sw_mlog_write(struct sw_mlog *l, const struct sw_engine *e, const struct sw_packet *p,
		  const struct sw_verdict *v, uint64_t ts_usec)
{
	int rc = 0;
	if (l->f) {
		long before = ftell(l->f);
		sw_mlog_record(&l->j, e, p, v, ts_usec);
		sw_json_eol(&l->j);
		long after = ftell(l->f);
		if (before >= 0 && after > before)
			l->bytes += (uint64_t)(after - before);
		l->records++;
		if (ferror(l->f))
			rc = SW_E_IO;
		else if (l->bytes >= l->max)
			rc = rotate(l);
	}
	if (l->pcap && v->action != SW_ACT_ACCEPT) {
		int prc = sw_pcapw_udp(l->pcap, ts_usec ? ts_usec : p->now_ms * 1000, &p->src,
				       &p->dst, p->payload, p->len);
		if (prc < 0)
			rc = prc;
	}
	return rc;
}

uint64_t sw_mlog_records(const struct sw_mlog *l)
{
	return l->records;
}

int sw_mlog_flush(struct sw_mlog *l)
{
	if (!l || !l->f)
		return 0;
	return fflush(l->f) == 0 ? 0 : SW_E_IO;
}

int sw_mlog_close(struct sw_mlog *l)
{
	if (!l)
		return 0;
	int rc = 0;
	if (l->f && fclose(l->f) != 0)
		rc = SW_E_IO;
	if (sw_pcapw_close(l->pcap) != 0)
		rc = SW_E_IO;
	free(l->path);
	free(l);
	return rc;
}
