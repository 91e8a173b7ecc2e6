/*
 * Fingerprint rules: which messages come from SIP scanning and attack tools.
 *
 * Rules are data (conf/fingerprints.rules, format in doc/rules.md). Each rule names a tool, a
 * weight and one or more predicates on fields of a SIP request ("user-agent ~ ^friendly-scanner",
 * "cseq = 1234", "accept present", "from-equals-to = true"); a rule matches when all its
 * predicates hold. A message's score is the sum of the weights of the rules that match; a score
 * at or above the threshold (settable in the file, default 100) makes it a scanner message.
 * Rules test requests only: a response scores 0.
 *
 * Loading compiles everything (regular expressions with the PCRE2 JIT, literals, numbers) and
 * either yields a complete rule set or fails with one message "FILE:LINE: problem"; there is no
 * partial rule set. A loaded set is immutable: several threads may match with it at once, each
 * with its own context (sw_rules_ctx), which holds all the scratch memory matching needs, so
 * matching allocates nothing.
 *
 * Matching is built for the common case, a legitimate message that matches nothing: rules are
 * indexed by their first predicate (field, request method, first byte or number), so a message
 * reads each indexed field once and looks only at the few rules whose key it carries; within a
 * rule, predicates run cheapest first and stop at the first that fails; regular expressions run
 * last, after cheap checks derived from them (shortest match, first byte, literal prefix).
 */
#ifndef SW_SHIELD_RULES_H
#define SW_SHIELD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strview.h"
#include "net/addr.h"
#include "sip/sip.h"

struct sw_rules;     /* immutable once loaded */
struct sw_rules_ctx; /* per-thread scratch */

#define SW_RULES_THRESHOLD_DEFAULT 100
#define SW_RULES_MAX 4096            /* rules in one set */
#define SW_RULES_MAX_PREDS 32        /* predicates in one rule */
#define SW_RULES_ID_MAX 63           /* characters of a rule id */
#define SW_RULES_LINE_MAX 4096       /* bytes of one line of a rules file */
#define SW_RULES_FILE_MAX (4u << 20) /* bytes of a rules file */

/* The name messages give the built-in rules ("fingerprints.rules (built in):12: ..."). */
#define SW_RULES_DEFAULT_NAME "fingerprints.rules (built in)"

/* The built-in rules: the bytes of conf/fingerprints.rules (embedded at build time by CMakeLists.txt, sw_embed). */
extern const char sw_rules_default[];
extern const size_t sw_rules_default_len;

/*
 * Load a rules file / a buffer holding one (name is used in messages). Returns 0 with *ret set,
 * or a negative code with err = "FILE:LINE: problem" (SW_E_SYNTAX for a bad file, SW_E_IO when
 * the file cannot be read, SW_E_LIMIT when a cap above is exceeded, SW_E_NOMEM).
 */
int sw_rules_load_file(const char *path, struct sw_rules **ret, char *err, size_t errlen);
int sw_rules_load_buf(const char *name, const char *buf, size_t len, struct sw_rules **ret,
		      char *err, size_t errlen);
void sw_rules_free(struct sw_rules *r);

/* The score at which a message is a scanner message. */
int32_t sw_rules_threshold(const struct sw_rules *r);

/* Rules in the set, and each one's id, tool, weight and comment (i < count; "" when none). */
unsigned sw_rules_count(const struct sw_rules *r);
const char *sw_rules_rule_id(const struct sw_rules *r, unsigned i);
const char *sw_rules_rule_tool(const struct sw_rules *r, unsigned i);
int32_t sw_rules_rule_weight(const struct sw_rules *r, unsigned i);
const char *sw_rules_rule_comment(const struct sw_rules *r, unsigned i);

/* Index of the rule called id, or -1. */
int sw_rules_find(const struct sw_rules *r, const char *id);

/* Per-thread context for r (valid while r is); NULL when out of memory. NULL is fine to free. */
struct sw_rules_ctx *sw_rules_ctx_new(const struct sw_rules *r);
void sw_rules_ctx_free(struct sw_rules_ctx *c);

#define SW_FP_MAX_MATCHES 8

/* One matched rule, with the field that identifies it and that field's value in the message. */
struct sw_fp_match {
	uint16_t rule;       /* index in the rule set */
	uint16_t field;      /* see sw_rules_field_name */
	struct sw_str value; /* view into the message; absent when the field has no bytes (absent) */
};

/* Name of a field id as the rules file spells it ("user-agent", "via.branch", "raw.From"). */
const char *sw_rules_field_name(unsigned field);

struct sw_fp_result {
	int32_t score;    /* sum of the weights of the rules that matched */
	const char *tool; /* tool with the highest summed weight among matched rules; or NULL */
	uint16_t nmatch;  /* entries in m (the highest-weight matches first) */
	uint16_t nmatch_total; /* rules that matched */
	struct sw_fp_match m[SW_FP_MAX_MATCHES];
};

/*
 * Score msg (parsed without error; views into its buffer) from packet source src (may be NULL:
 * the predicates that compare with the source then never hold). ctx must come from r. ret is
 * always filled. Allocates nothing; reads only inside the message's views.
 */
void sw_rules_match(const struct sw_rules *r, struct sw_rules_ctx *ctx, const struct sip_msg *msg,
		    const struct sw_endpoint *src, struct sw_fp_result *ret);

/* True when a result reaches r's threshold. */
static inline bool sw_rules_is_scanner(const struct sw_rules *r, const struct sw_fp_result *res)
{
	return res->score >= sw_rules_threshold(r);
}

#endif
