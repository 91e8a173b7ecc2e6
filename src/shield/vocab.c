#include "shield/vocab.h"

#include <string.h>

static const char *const trust_names[] = {"none", "low", "medium", "high"};
static const char *const state_names[] = {"untrusted", "trusted", "denied"};
static const char *const anon_names[] = {"all", "agents-only", "registered"};
static const char *const action_names[] = {"accept", "drop", "deny"};
static const char *const reason_names[] = {
#define SW_REASON_NAME(id, name) name,
	SW_REASONS(SW_REASON_NAME)
#undef SW_REASON_NAME
};

#define NAME_OF(table, v) ((unsigned)(v) < sizeof(table) / sizeof(table[0]) ? table[v] : "?")

const char *sw_trust_level_name(enum sw_trust_level t)
{
	return NAME_OF(trust_names, t);
}
const char *sw_src_state_name(enum sw_src_state s)
{
	return NAME_OF(state_names, s);
}
const char *sw_anon_name(enum sw_anon a)
{
	return NAME_OF(anon_names, a);
}
const char *sw_action_name(enum sw_action a)
{
	return NAME_OF(action_names, a);
}
const char *sw_reason_name(enum sw_reason r)
{
	return NAME_OF(reason_names, r);
}

static int lookup(const char *const *table, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(table[i], s) == 0)
			return (int)i;
	return -1;
}

int sw_trust_level_parse(const char *s, enum sw_trust_level *ret)
{
	int v = lookup(trust_names, 4, s);
	if (v < 0)
		return -1;
	*ret = (enum sw_trust_level)v;
	return 0;
}

int sw_anon_parse(const char *s, enum sw_anon *ret)
{
	int v = lookup(anon_names, 3, s);
	if (v < 0)
		return -1;
	*ret = (enum sw_anon)v;
	return 0;
}
