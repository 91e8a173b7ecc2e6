/*
 * The rules file reader and compiler (format: doc/rules.md).
 *
 * The reader walks the text line by line, keeps the line number for messages, and builds the
 * rule set in memory; the first problem stops it with "FILE:LINE: problem" and everything built so
 * far is freed, so a caller gets a whole rule set or none. Compilation happens as each predicate
 * is read (a bad regular expression is reported on its own line, with PCRE2's message and
 * offset); when the file has been read, each rule's predicates are sorted cheapest first and the
 * rules whose cheapest predicate is a positive regular expression on the same field get one
 * combined expression, the prefilter the matcher runs once per message for all of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "shield/rules_internal.h"

struct loader {
	const char *name;
	struct sw_rules *r;
	unsigned cap_rules, cap_tools;
	/* the rule being read */
	struct sw_rule *cur;
	unsigned cur_cap_preds;
	bool has_tool, has_weight, has_methods;
	bool in_global;
	char *err;
	size_t errlen;
};

static const char *const method_names[] = {
	[SIP_METHOD_INVITE] = "INVITE",   [SIP_METHOD_ACK] = "ACK",
	[SIP_METHOD_BYE] = "BYE",         [SIP_METHOD_CANCEL] = "CANCEL",
	[SIP_METHOD_OPTIONS] = "OPTIONS", [SIP_METHOD_REGISTER] = "REGISTER",
	[SIP_METHOD_PRACK] = "PRACK",     [SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	[SIP_METHOD_NOTIFY] = "NOTIFY",   [SIP_METHOD_PUBLISH] = "PUBLISH",
	[SIP_METHOD_INFO] = "INFO",       [SIP_METHOD_REFER] = "REFER",
	[SIP_METHOD_MESSAGE] = "MESSAGE", [SIP_METHOD_UPDATE] = "UPDATE",
	[SIP_METHOD_OTHER] = "OTHER",
};
#define NMETHODS (sizeof(method_names) / sizeof(method_names[0]))

static const struct {
	const char *text;
	enum sw_rop op;
} ops[] = {
	{"len!=", SW_ROP_LEN_NE}, {"len<=", SW_ROP_LEN_LE}, {"len>=", SW_ROP_LEN_GE},
	{"len=", SW_ROP_LEN_EQ},  {"len<", SW_ROP_LEN_LT},  {"len>", SW_ROP_LEN_GT},
	{"!^=", SW_ROP_NPREFIX},  {"!$=", SW_ROP_NSUFFIX},  {"!*=", SW_ROP_NHAS},
	{"!=", SW_ROP_NE},        {"!~", SW_ROP_NRE},       {"^=", SW_ROP_PREFIX},
	{"$=", SW_ROP_SUFFIX},    {"*=", SW_ROP_HAS},       {"<=", SW_ROP_LE},
	{">=", SW_ROP_GE},        {"=", SW_ROP_EQ},         {"~", SW_ROP_RE},
	{"<", SW_ROP_LT},         {">", SW_ROP_GT},
};

/* Quote untrusted text from the file for a message: printable ASCII, cut at 60 bytes. */
static void quote(char *out, size_t size, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < size; i++) {
		if (i == 60) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	}
	out[n] = 0;
}

#define FAIL(ld, line, code, ...)                                                                  \
	do {                                                                                       \
		fail_at((ld), (line), __VA_ARGS__);                                                \
		return (code);                                                                     \
	} while (0)

__attribute__((format(printf, 3, 4))) static void fail_at(struct loader *ld, unsigned line,
							  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sw_errf(ld->err, ld->errlen, "%s:%u: %s", ld->name, line, msg);
}

static char *dup_mem(const char *p, size_t len)
{
	char *d = malloc(len + 1);

	if (d) {
		if (len)
			memcpy(d, p, len);
		d[len] = 0;
	}
	return d;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal integer, optional sign, whole view. */
static bool parse_int(const char *p, size_t len, int64_t lo, int64_t hi, int64_t *ret)
{
	bool neg = false;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 0 && (p[0] == '-' || p[0] == '+')) {
		neg = p[0] == '-';
		i = 1;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > (uint64_t)INT64_MAX)
			return false;
	}
	*ret = neg ? -(int64_t)v : (int64_t)v;
	return *ret >= lo && *ret <= hi;
}

/* End the rule being read: check it is complete. */
static int finish_rule(struct loader *ld)
{
	struct sw_rule *ru = ld->cur;

	if (!ru)
		return 0;
	ld->cur = NULL;
	if (!ld->has_tool)
		FAIL(ld, ru->line, SW_E_SYNTAX, "rule '%s' has no tool", ru->id);
	if (!ld->has_weight)
		FAIL(ld, ru->line, SW_E_SYNTAX, "rule '%s' has no weight", ru->id);
	if (ru->np == 0)
		FAIL(ld, ru->line, SW_E_SYNTAX, "rule '%s' tests nothing (no predicate)", ru->id);
	return 0;
}

static int start_rule(struct loader *ld, unsigned line, const char *id, size_t idlen)
{
	struct sw_rules *r = ld->r;
	struct sw_rule *ru;
	char q[80];

	if (idlen == 0)
		FAIL(ld, line, SW_E_SYNTAX, "rule without an id: write [rule ID]");
	for (size_t i = 0; i < idlen; i++)
		if (!is_name_char(id[i])) {
			quote(q, sizeof(q), id, idlen);
			FAIL(ld, line, SW_E_SYNTAX,
			     "bad rule id '%s': use letters, digits, '.', '-' and '_'", q);
		}
	if (idlen > SW_RULES_ID_MAX)
		FAIL(ld, line, SW_E_SYNTAX, "rule id longer than %d characters", SW_RULES_ID_MAX);
	for (unsigned i = 0; i < r->nrules; i++)
		if (strlen(r->rules[i].id) == idlen && memcmp(r->rules[i].id, id, idlen) == 0) {
			quote(q, sizeof(q), id, idlen);
			FAIL(ld, line, SW_E_SYNTAX, "duplicate rule id '%s' (first at line %u)", q,
			     r->rules[i].line);
		}
	if (r->nrules >= SW_RULES_MAX)
		FAIL(ld, line, SW_E_LIMIT, "more than %d rules", SW_RULES_MAX);
	if (r->nrules == ld->cap_rules) {
		unsigned cap = ld->cap_rules ? ld->cap_rules * 2 : 64;
		struct sw_rule *n = realloc(r->rules, cap * sizeof(*n));

		if (!n)
			FAIL(ld, line, SW_E_NOMEM, "out of memory");
		r->rules = n;
		ld->cap_rules = cap;
	}
	ru = &r->rules[r->nrules];
	memset(ru, 0, sizeof(*ru));
	ru->id = dup_mem(id, idlen);
	if (!ru->id)
		FAIL(ld, line, SW_E_NOMEM, "out of memory");
	r->nrules++;
	ru->line = line;
	ru->methods = UINT32_MAX;
	ru->group = -1;
	ld->cur = ru;
	ld->cur_cap_preds = 0;
	ld->has_tool = ld->has_weight = ld->has_methods = false;
	return 0;
}

static int intern_tool(struct loader *ld, unsigned line, const char *v, size_t len)
{
	struct sw_rules *r = ld->r;
	char q[80];

	if (len == 0)
		FAIL(ld, line, SW_E_SYNTAX, "empty tool name");
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(v[i])) {
			quote(q, sizeof(q), v, len);
			FAIL(ld, line, SW_E_SYNTAX,
			     "bad tool name '%s': use letters, digits, '.', '-' and '_'", q);
		}
	for (unsigned i = 0; i < r->ntools; i++)
		if (strlen(r->tools[i]) == len && memcmp(r->tools[i], v, len) == 0) {
			ld->cur->tool = (uint16_t)i;
			return 0;
		}
	if (r->ntools == ld->cap_tools) {
		unsigned cap = ld->cap_tools ? ld->cap_tools * 2 : 32;
		char **n = realloc(r->tools, cap * sizeof(*n));

		if (!n)
			FAIL(ld, line, SW_E_NOMEM, "out of memory");
		r->tools = n;
		ld->cap_tools = cap;
	}
	r->tools[r->ntools] = dup_mem(v, len);
	if (!r->tools[r->ntools])
		FAIL(ld, line, SW_E_NOMEM, "out of memory");
	ld->cur->tool = (uint16_t)r->ntools++;
	return 0;
}

static int parse_methods(struct loader *ld, unsigned line, const char *v, size_t len)
{
	uint32_t mask = 0;
	size_t i = 0;
	char q[80];

	while (i < len) {
		size_t s;
		bool found = false;

		while (i < len && (is_ws(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < len && !is_ws(v[i]) && v[i] != ',')
			i++;
		if (s == i)
			break;
		if (i - s == 1 && v[s] == '*') {
			mask = UINT32_MAX;
			continue;
		}
		for (unsigned m = 0; m < NMETHODS; m++)
			if (method_names[m] && strlen(method_names[m]) == i - s &&
			    memcmp(method_names[m], v + s, i - s) == 0) {
				mask |= 1u << m;
				found = true;
			}
		if (!found) {
			quote(q, sizeof(q), v + s, i - s);
			FAIL(ld, line, SW_E_SYNTAX,
			     "unknown method '%s' (INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, "
			     "PRACK, SUBSCRIBE, NOTIFY, PUBLISH, INFO, REFER, MESSAGE, UPDATE, OTHER "
			     "or *)",
			     q);
		}
	}
	if (mask == 0)
		FAIL(ld, line, SW_E_SYNTAX, "methods lists no method");
	ld->cur->methods = mask;
	return 0;
}

static int append_comment(struct loader *ld, unsigned line, const char *v, size_t len)
{
	struct sw_rule *ru = ld->cur;
	size_t old = ru->comment ? strlen(ru->comment) : 0;
	char *n = realloc(ru->comment, old + len + 2);

	if (!n)
		FAIL(ld, line, SW_E_NOMEM, "out of memory");
	if (old)
		n[old++] = ' ';
	memcpy(n + old, v, len);
	n[old + len] = 0;
	ru->comment = n;
	return 0;
}

/* A regular expression may join a combined prefilter unless grouping could change its meaning. */
static bool groupable(const struct sw_rpred *p)
{
	const char *s = p->lit;

	if (sw_pattern_has_backrefs(p->re) || memchr(s, 0, p->litlen))
		return false;
	if (strstr(s, "\\Q") || strstr(s, "(*"))
		return false;
	for (const char *q = strstr(s, "(?"); q; q = strstr(q + 2, "(?"))
		for (const char *o = q + 2; *o && *o != ')' && *o != ':'; o++)
			if (*o == 'x')
				return false;
	return true;
}

static unsigned op_cost(enum sw_rop op)
{
	switch (op) {
	case SW_ROP_LEN_EQ:
	case SW_ROP_LEN_NE:
	case SW_ROP_LEN_LT:
	case SW_ROP_LEN_LE:
	case SW_ROP_LEN_GT:
	case SW_ROP_LEN_GE:
	case SW_ROP_PRESENT:
	case SW_ROP_ABSENT:
	case SW_ROP_LT:
	case SW_ROP_LE:
	case SW_ROP_GT:
	case SW_ROP_GE:
		return 0;
	case SW_ROP_EQ:
	case SW_ROP_NE:
		return 1;
	case SW_ROP_PREFIX:
	case SW_ROP_SUFFIX:
	case SW_ROP_NPREFIX:
	case SW_ROP_NSUFFIX:
		return 2;
	case SW_ROP_HAS:
	case SW_ROP_NHAS:
		return 3;
	default:
		return 4;
	}
}

static int add_pred(struct loader *ld, unsigned line, const char *fname, size_t flen,
		    enum sw_rop op, const char *v, size_t vlen, bool has_value)
{
	struct sw_rule *ru = ld->cur;
	struct sw_rpred *p;
	int field = sw_rf_lookup(fname, flen);
	enum sw_rf_kind kind;
	char q[80];

	quote(q, sizeof(q), fname, flen);
	if (field < 0)
		FAIL(ld, line, SW_E_SYNTAX, "unknown field '%s'", q);
	kind = sw_rf_kind((unsigned)field);
	if (ru->np >= SW_RULES_MAX_PREDS)
		FAIL(ld, line, SW_E_LIMIT, "more than %d predicates in rule '%s'",
		     SW_RULES_MAX_PREDS, ru->id);
	if ((op == SW_ROP_PRESENT || op == SW_ROP_ABSENT) && has_value)
		FAIL(ld, line, SW_E_SYNTAX, "'%s' takes no value",
		     op == SW_ROP_PRESENT ? "present" : "absent");
	if (op != SW_ROP_PRESENT && op != SW_ROP_ABSENT && !has_value)
		FAIL(ld, line, SW_E_SYNTAX, "missing value after the operator");
	if (kind != SW_RFK_STR && op >= SW_ROP_PREFIX && op <= SW_ROP_NHAS)
		FAIL(ld, line, SW_E_SYNTAX, "field '%s' is a %s: use = != < <= > >= present absent",
		     q, kind == SW_RFK_NUM ? "number" : "boolean");
	if (kind != SW_RFK_STR && op >= SW_ROP_LEN_EQ)
		FAIL(ld, line, SW_E_SYNTAX, "field '%s' is not a string: len operators need one",
		     q);
	if (kind == SW_RFK_BOOL && op >= SW_ROP_LT)
		FAIL(ld, line, SW_E_SYNTAX, "field '%s' is a boolean: use = or != true/false", q);
	if (kind == SW_RFK_STR && op >= SW_ROP_LT && op <= SW_ROP_GE)
		FAIL(ld, line, SW_E_SYNTAX, "field '%s' is a string: < <= > >= need a number field",
		     q);
	if (ru->np == ld->cur_cap_preds) {
		unsigned cap = ld->cur_cap_preds ? ld->cur_cap_preds * 2 : 4;
		struct sw_rpred *n = realloc(ru->p, cap * sizeof(*n));

		if (!n)
			FAIL(ld, line, SW_E_NOMEM, "out of memory");
		ru->p = n;
		ld->cur_cap_preds = cap;
	}
	p = &ru->p[ru->np];
	memset(p, 0, sizeof(*p));
	p->field = (uint16_t)field;
	p->op = (uint8_t)op;
	p->kind = (uint8_t)kind;
	p->off = sw_rf_offset((unsigned)field);
	p->line = line;
	p->cost = (uint8_t)(sw_rf_cost((unsigned)field) * 8 + op_cost(op));
	if (has_value && (kind == SW_RFK_NUM || op >= SW_ROP_LEN_EQ)) {
		if (!parse_int(v, vlen, INT64_MIN, INT64_MAX, &p->num)) {
			quote(q, sizeof(q), v, vlen);
			FAIL(ld, line, SW_E_SYNTAX, "bad number '%s'", q);
		}
	} else if (has_value && kind == SW_RFK_BOOL) {
		if ((vlen == 4 && strncasecmp(v, "true", 4) == 0) ||
		    (vlen == 3 && strncasecmp(v, "yes", 3) == 0))
			p->num = 1;
		else if ((vlen == 5 && strncasecmp(v, "false", 5) == 0) ||
			 (vlen == 2 && strncasecmp(v, "no", 2) == 0))
			p->num = 0;
		else {
			quote(q, sizeof(q), v, vlen);
			FAIL(ld, line, SW_E_SYNTAX, "bad boolean '%s': use true or false", q);
		}
	} else if (has_value) {
		p->lit = dup_mem(v, vlen);
		if (!p->lit)
			FAIL(ld, line, SW_E_NOMEM, "out of memory");
		p->litlen = (uint32_t)vlen;
	}
	ru->np++; /* owned by the rule from here: freed with it on any later error */
	if (op == SW_ROP_RE || op == SW_ROP_NRE) {
		char perr[300];
		int rc = sw_pattern_compile(v, vlen, 0, &p->re, perr, sizeof(perr));

		if (rc == SW_E_NOMEM)
			FAIL(ld, line, SW_E_NOMEM, "out of memory");
		if (rc < 0)
			FAIL(ld, line, SW_E_SYNTAX, "bad regular expression at %s", perr);
		p->hint = sw_pattern_hint(p->re);
	}
	return 0;
}

/*
 * Trim both ends; a value that starts and ends with '"' is a quoted string: the quotes go, \" and
 * \\ are the only escapes, and a bare '"' inside is an error.
 */
static int value_of(struct loader *ld, unsigned line, const char *p, size_t len, char *buf,
		    size_t cap, const char **ret, size_t *ret_len)
{
	while (len && is_ws(*p))
		p++, len--;
	while (len && is_ws(p[len - 1]))
		len--;
	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		size_t n = 0;

		for (size_t i = 1; i + 1 < len && n < cap; i++) {
			if (p[i] == '\\' && i + 2 < len && (p[i + 1] == '"' || p[i + 1] == '\\'))
				i++;
			else if (p[i] == '"')
				FAIL(ld, line, SW_E_SYNTAX,
				     "stray '\"' inside a quoted value (write \\\")");
			buf[n++] = p[i];
		}
		*ret = buf;
		*ret_len = n;
		return 0;
	}
	*ret = p;
	*ret_len = len;
	return 0;
}

static int do_line(struct loader *ld, unsigned line, const char *p, size_t len)
{
	char vbuf[SW_RULES_LINE_MAX];
	const char *name, *v;
	size_t nlen, i = 0, vlen;
	enum sw_rop op = SW_ROP_EQ;
	bool found = false, has_value;
	char q[80];
	int rc;

	while (len && (is_ws(p[len - 1]) || p[len - 1] == '\r'))
		len--;
	while (i < len && is_ws(p[i]))
		i++;
	if (i == len || p[i] == '#' || p[i] == ';')
		return 0;
	if (memchr(p, 0, len))
		FAIL(ld, line, SW_E_SYNTAX, "NUL byte in the line");
	if (p[i] == '[') {
		const char *s = p + i + 1, *e = p + len;

		if (e[-1] != ']')
			FAIL(ld, line, SW_E_SYNTAX, "section header without ']'");
		e--;
		while (s < e && is_ws(*s))
			s++;
		while (e > s && is_ws(e[-1]))
			e--;
		rc = finish_rule(ld);
		if (rc)
			return rc;
		ld->in_global = false;
		if (e - s == 6 && memcmp(s, "global", 6) == 0) {
			ld->in_global = true;
			return 0;
		}
		if (e - s >= 4 && memcmp(s, "rule", 4) == 0 && (e - s == 4 || is_ws(s[4]))) {
			s += 4;
			while (s < e && is_ws(*s))
				s++;
			return start_rule(ld, line, s, (size_t)(e - s));
		}
		quote(q, sizeof(q), s, (size_t)(e - s));
		FAIL(ld, line, SW_E_SYNTAX, "unknown section '[%s]': use [global] or [rule ID]", q);
	}
	name = p + i;
	while (i < len && is_name_char(p[i]))
		i++;
	nlen = (size_t)(p + i - name);
	if (nlen == 0) {
		quote(q, sizeof(q), p + i, len - i);
		FAIL(ld, line, SW_E_SYNTAX, "expected a key or field name at '%s'", q);
	}
	while (i < len && is_ws(p[i]))
		i++;
	if (len - i >= 7 && strncmp(p + i, "present", 7) == 0 &&
	    (len - i == 7 || is_ws(p[i + 7]))) {
		op = SW_ROP_PRESENT;
		i += 7;
		found = true;
	} else if (len - i >= 6 && strncmp(p + i, "absent", 6) == 0 &&
		   (len - i == 6 || is_ws(p[i + 6]))) {
		op = SW_ROP_ABSENT;
		i += 6;
		found = true;
	}
	for (size_t k = 0; !found && k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t ol = strlen(ops[k].text);

		if (len - i >= ol && memcmp(p + i, ops[k].text, ol) == 0) {
			op = ops[k].op;
			i += ol;
			found = true;
		}
	}
	quote(q, sizeof(q), name, nlen);
	if (!found)
		FAIL(ld, line, SW_E_SYNTAX, "expected an operator after '%s'", q);
	rc = value_of(ld, line, p + i, len - i, vbuf, sizeof(vbuf), &v, &vlen);
	if (rc)
		return rc;
	has_value = (p + len) > (p + i) && vlen + (v == vbuf) > 0;
	if (ld->in_global) {
		int64_t t;

		if (!(nlen == 9 && memcmp(name, "threshold", 9) == 0))
			FAIL(ld, line, SW_E_SYNTAX, "unknown key '%s' in [global] (threshold)", q);
		if (op != SW_ROP_EQ)
			FAIL(ld, line, SW_E_SYNTAX, "write threshold = NUMBER");
		if (!parse_int(v, vlen, 1, INT32_MAX, &t)) {
			quote(q, sizeof(q), v, vlen);
			FAIL(ld, line, SW_E_SYNTAX, "bad number '%s' (threshold: 1 to %d)", q,
			     INT32_MAX);
		}
		ld->r->threshold = (int32_t)t;
		return 0;
	}
	if (!ld->cur)
		FAIL(ld, line, SW_E_SYNTAX, "'%s' outside a section: start a rule with [rule ID]",
		     q);
	if ((nlen == 4 && memcmp(name, "tool", 4) == 0) ||
	    (nlen == 6 && memcmp(name, "weight", 6) == 0) ||
	    (nlen == 7 && memcmp(name, "methods", 7) == 0) ||
	    (nlen == 7 && memcmp(name, "comment", 7) == 0)) {
		if (op != SW_ROP_EQ)
			FAIL(ld, line, SW_E_SYNTAX, "write %s = VALUE", q);
		if (name[0] == 'c') {
			/* comments are prose: taken as written, quotes included */
			const char *c = p + i, *ce = p + len;

			while (c < ce && is_ws(*c))
				c++;
			return append_comment(ld, line, c, (size_t)(ce - c));
		}
		if (name[0] == 't') {
			if (ld->has_tool)
				FAIL(ld, line, SW_E_SYNTAX, "duplicate key 'tool'");
			ld->has_tool = true;
			return intern_tool(ld, line, v, vlen);
		}
		if (name[0] == 'm') {
			if (ld->has_methods)
				FAIL(ld, line, SW_E_SYNTAX, "duplicate key 'methods'");
			ld->has_methods = true;
			return parse_methods(ld, line, v, vlen);
		}
		if (ld->has_weight)
			FAIL(ld, line, SW_E_SYNTAX, "duplicate key 'weight'");
		{
			int64_t w;

			if (!parse_int(v, vlen, -1000000, 1000000, &w)) {
				quote(q, sizeof(q), v, vlen);
				FAIL(ld, line, SW_E_SYNTAX,
				     "bad number '%s' (weight: -1000000 to 1000000)", q);
			}
			ld->cur->weight = (int32_t)w;
		}
		ld->has_weight = true;
		return 0;
	}
	return add_pred(ld, line, name, nlen, op, v, vlen, has_value);
}

/*
 * The keys a predicate can hold for (see struct sw_rbucket) into set: 1 keyable, 0 not keyable,
 * -1 holds only when the field is absent.
 */
static int pred_keys(const struct sw_rpred *p, uint8_t set[32])
{
	memset(set, 0, 32);
	if (p->op == SW_ROP_ABSENT)
		return -1;
	if (p->kind != SW_RFK_STR) {
		if (p->op != SW_ROP_EQ)
			return 0;
		set[(uint8_t)p->num >> 3] |= (uint8_t)(1u << (p->num & 7));
		return 1;
	}
	switch ((enum sw_rop)p->op) {
	case SW_ROP_EQ:
	case SW_ROP_PREFIX:
		if (p->litlen == 0)
			return 0;
		set[(uint8_t)p->lit[0] >> 3] |= (uint8_t)(1u << (p->lit[0] & 7));
		return 1;
	case SW_ROP_RE:
		if (!p->hint->anchored || p->hint->minlen == 0)
			return 0;
		memcpy(set, p->hint->first, 32);
		return 1;
	default:
		return 0;
	}
}

static int cmp_cost(const void *a, const void *b)
{
	const struct sw_rpred *x = a, *y = b;

	if (x->cost != y->cost)
		return x->cost < y->cost ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort predicates cheapest first; remember the file order for reports. */
static int order_preds(struct sw_rule *ru)
{
	ru->file_order = malloc(ru->np);
	if (!ru->file_order)
		return SW_E_NOMEM;
	qsort(ru->p, ru->np, sizeof(ru->p[0]), cmp_cost);
	/* lines are unique per predicate, so the file order is the order of lines */
	for (unsigned i = 0; i < ru->np; i++) {
		unsigned rank = 0;

		for (unsigned k = 0; k < ru->np; k++)
			rank += ru->p[k].line < ru->p[i].line;
		ru->file_order[rank] = (uint8_t)i;
	}
	return 0;
}

/* A predicate the bucket index can key on, cheap enough to lead its rule. */
static bool lead_eligible(const struct sw_rpred *p)
{
	uint8_t set[32];

	return p->cost < 8 && pred_keys(p, set) == 1;
}

/*
 * Choose each rule's first predicate (the one the bucket index keys on). A keyable predicate is
 * best, since it keeps the rule out of sight of most messages; among those, the one on the field
 * most other rules can lead with, so rules share buckets and a message reads fewer fields. A
 * rule without a keyable predicate keeps its cheapest one.
 */
static void choose_leads(struct sw_rules *r)
{
	unsigned *uses = calloc(SW_RF__COUNT, sizeof(*uses));

	if (!uses)
		return; /* the cheapest-first order is a correct, slower fallback */
	for (unsigned i = 0; i < r->nrules; i++) {
		const struct sw_rule *ru = &r->rules[i];

		for (unsigned k = 0; k < ru->np; k++) {
			bool dup = false;

			for (unsigned e = 0; e < k; e++)
				dup |= ru->p[e].field == ru->p[k].field && lead_eligible(&ru->p[e]);
			if (lead_eligible(&ru->p[k]) && !dup)
				uses[ru->p[k].field]++;
		}
	}
	for (unsigned i = 0; i < r->nrules; i++) {
		struct sw_rule *ru = &r->rules[i];
		int best = -1;

		for (unsigned k = 0; k < ru->np; k++)
			if (lead_eligible(&ru->p[k]) &&
			    (best < 0 || uses[ru->p[k].field] > uses[ru->p[best].field]))
				best = (int)k;
		if (best > 0) {
			struct sw_rpred lead = ru->p[best];

			memmove(&ru->p[1], &ru->p[0], (size_t)best * sizeof(ru->p[0]));
			ru->p[0] = lead;
			/* file_order holds indexes into p: shift them the same way */
			for (unsigned k = 0; k < ru->np; k++) {
				if (ru->file_order[k] == (uint8_t)best)
					ru->file_order[k] = 0;
				else if (ru->file_order[k] < (uint8_t)best)
					ru->file_order[k]++;
			}
		}
	}
	free(uses);
}

/* Combine the leading regular expressions of rules on the same field into prefilters. */
static int build_groups(struct sw_rules *r)
{
	for (unsigned i = 0; i < r->nrules; i++) {
		struct sw_rule *ru = &r->rules[i];
		size_t total = 0, n = 0, members = 0;
		struct sw_rgroup *g;
		char *pat;

		if (ru->group >= 0 || ru->p[0].op != SW_ROP_RE || !groupable(&ru->p[0]))
			continue;
		for (unsigned k = i; k < r->nrules; k++) {
			struct sw_rule *o = &r->rules[k];

			if (o->group < 0 && o->p[0].op == SW_ROP_RE &&
			    o->p[0].field == ru->p[0].field && groupable(&o->p[0])) {
				total += o->p[0].litlen + 6;
				members++;
			}
		}
		if (members < 2)
			continue;
		pat = malloc(total + 1);
		if (!pat)
			return SW_E_NOMEM;
		for (unsigned k = i; k < r->nrules; k++) {
			struct sw_rule *o = &r->rules[k];

			if (o->group < 0 && o->p[0].op == SW_ROP_RE &&
			    o->p[0].field == ru->p[0].field && groupable(&o->p[0])) {
				if (n)
					pat[n++] = '|';
				memcpy(pat + n, "(?:", 3);
				n += 3;
				memcpy(pat + n, o->p[0].lit, o->p[0].litlen);
				n += o->p[0].litlen;
				pat[n++] = ')';
			}
		}
		g = realloc(r->groups, (r->ngroups + 1) * sizeof(*g));
		if (!g) {
			free(pat);
			return SW_E_NOMEM;
		}
		r->groups = g;
		g = &r->groups[r->ngroups];
		g->field = ru->p[0].field;
		g->re = NULL;
		if (sw_pattern_compile(pat, n, 0, &g->re, NULL, 0) == 0) {
			for (unsigned k = i; k < r->nrules; k++) {
				struct sw_rule *o = &r->rules[k];

				if (o->group < 0 && o->p[0].op == SW_ROP_RE &&
				    o->p[0].field == ru->p[0].field && groupable(&o->p[0]))
					o->group = (int32_t)r->ngroups;
			}
			r->ngroups++;
		}
		free(pat);
	}
	return 0;
}

static enum sw_rf_read read_kind(unsigned field, int32_t off)
{
	if (off >= 0)
		return SW_RD_VIEW;
	if (field >= SW_RF_POS_BASE && field < SW_RF__COUNT)
		return SW_RD_POS;
	switch (field) {
	case SW_RF_CSEQ:
		return SW_RD_CSEQ;
	case SW_RF_MAX_FORWARDS:
		return SW_RD_MAX_FORWARDS;
	case SW_RF_EXPIRES:
		return SW_RD_EXPIRES;
	case SW_RF_VIA_PORT:
		return SW_RD_VIA_PORT;
	case SW_RF_CONTACT_PORT:
		return SW_RD_CONTACT_PORT;
	default:
		return SW_RD_GET;
	}
}

/*
 * Index the rules by the field of their cheapest predicate: one bucket per field (more when a
 * field leads more than SW_RBUCKET_MAX rules), with the candidate masks by method and first byte.
 */
static int build_buckets(struct sw_rules *r)
{
	r->buckets = calloc(r->nrules + 1, sizeof(*r->buckets));
	if (!r->buckets)
		return SW_E_NOMEM;
	for (unsigned i = 0; i < r->nrules; i++) {
		struct sw_rule *ru = &r->rules[i];
		struct sw_rbucket *b = NULL;

		for (unsigned k = 0; k < r->nbuckets && !b; k++)
			if (r->buckets[k].field == ru->p[0].field &&
			    r->buckets[k].n < SW_RBUCKET_MAX)
				b = &r->buckets[k];
		if (!b) {
			b = &r->buckets[r->nbuckets++];
			b->field = ru->p[0].field;
			b->off = sw_rf_offset(b->field);
			b->kind = (uint8_t)sw_rf_kind(b->field);
		}
		b->rules[b->n++] = (uint16_t)i;
		b->methods |= ru->methods;
	}
	for (unsigned k = 0; k < r->nbuckets; k++) {
		struct sw_rbucket *b = &r->buckets[k];

		for (unsigned j = 0; j < b->n; j++) {
			const struct sw_rule *ru = &r->rules[b->rules[j]];
			uint8_t set[32];

			for (unsigned m = 0; m < 32; m++)
				if (ru->methods & (1u << m))
					b->by_method[m] |= 1ull << j;
			int keyed = pred_keys(&ru->p[0], set);

			/* string =: the length tells more than the first byte ("sip:..." URIs) */
			if (keyed == 1 && ru->p[0].kind == SW_RFK_STR && ru->p[0].op == SW_ROP_EQ) {
				b->by_len[ru->p[0].litlen & 255] |= 1ull << j;
				continue;
			}
			if (keyed < 0)
				b->absent |= 1ull << j;
			else if (keyed == 0)
				b->present |= 1ull << j;
			for (unsigned c = 0; c < 256; c++)
				if (set[c >> 3] & (1u << (c & 7)))
					b->by_key[c] |= 1ull << j;
		}
	}
	for (unsigned m = 0; m < 32; m++) {
		r->hot[m] = calloc(r->nbuckets + 1, sizeof(*r->hot[m]));
		if (!r->hot[m])
			return SW_E_NOMEM;
		for (unsigned k = 0; k < r->nbuckets; k++) {
			const struct sw_rbucket *b = &r->buckets[k];
			struct sw_rhot *h;

			if (!b->by_method[m])
				continue;
			h = &r->hot[m][r->nhot[m]++];
			h->off = b->off;
			h->field = b->field;
			h->kind = b->kind;
			h->read = (uint8_t)read_kind(b->field, b->off);
			h->mmask = b->by_method[m];
			h->present = b->present & h->mmask;
			h->absent = b->absent & h->mmask;
			h->by_key = b->by_key;
			h->by_len = b->by_len;
			h->rules = b->rules;
		}
	}
	return 0;
}

void sw_rules_free(struct sw_rules *r)
{
	if (!r)
		return;
	free(r->buckets);
	for (unsigned m = 0; m < 32; m++)
		free(r->hot[m]);
	for (unsigned i = 0; i < r->nrules; i++) {
		struct sw_rule *ru = &r->rules[i];

		for (unsigned k = 0; k < ru->np; k++) {
			free(ru->p[k].lit);
			sw_pattern_free(ru->p[k].re);
		}
		free(ru->p);
		free(ru->file_order);
		free(ru->id);
		free(ru->comment);
	}
	for (unsigned i = 0; i < r->ntools; i++)
		free(r->tools[i]);
	for (unsigned i = 0; i < r->ngroups; i++)
		sw_pattern_free(r->groups[i].re);
	free(r->groups);
	free(r->tools);
	free(r->rules);
	free(r);
}

int sw_rules_load_buf(const char *name, const char *buf, size_t len, struct sw_rules **ret,
		      char *err, size_t errlen)
{
	struct loader ld = {.name = name ? name : "rules", .err = err, .errlen = errlen};
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	int rc = 0;

	ld.r = calloc(1, sizeof(*ld.r));
	if (!ld.r)
		return SW_E_NOMEM;
	ld.r->threshold = SW_RULES_THRESHOLD_DEFAULT;
	if (len > SW_RULES_FILE_MAX) {
		sw_errf(err, errlen, "%s: larger than %u bytes", ld.name, SW_RULES_FILE_MAX);
		rc = SW_E_LIMIT;
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		line++;
		if (le - p > SW_RULES_LINE_MAX) {
			fail_at(&ld, line, "line longer than %d bytes", SW_RULES_LINE_MAX);
			rc = SW_E_LIMIT;
			goto out;
		}
		rc = do_line(&ld, line, p, (size_t)(le - p));
		if (rc)
			goto out;
		p = nl ? nl + 1 : end;
	}
	rc = finish_rule(&ld);
	if (rc)
		goto out;
	for (unsigned i = 0; i < ld.r->nrules; i++) {
		rc = order_preds(&ld.r->rules[i]);
		if (rc)
			goto nomem;
	}
	choose_leads(ld.r);
	rc = build_groups(ld.r);
	if (rc)
		goto nomem;
	rc = build_buckets(ld.r);
	if (rc)
		goto nomem;
	*ret = ld.r;
	return 0;
nomem:
	sw_errf(err, errlen, "%s: out of memory", ld.name);
out:
	sw_rules_free(ld.r);
	return rc;
}

int sw_rules_load_file(const char *path, struct sw_rules **ret, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	int rc;

	if (!f) {
		sw_errf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return SW_E_IO;
	}
	buf = malloc(SW_RULES_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return SW_E_NOMEM;
	}
	n = fread(buf, 1, SW_RULES_FILE_MAX + 1, f);
	if (ferror(f)) {
		sw_errf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		rc = SW_E_IO;
	} else {
		rc = sw_rules_load_buf(path, buf, n, ret, err, errlen);
	}
	free(buf);
	fclose(f);
	return rc;
}
