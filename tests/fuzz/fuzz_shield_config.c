/*
 * libFuzzer target for the shield's text inputs: the INI configuration (shield/config.h) and the
 * fingerprint rules file (shield/rules.h). The first byte picks which reader gets the rest.
 * Either loads, and then must give a usable result (a default realm; rules whose ids, tools and
 * fields can be named), or fails with an error message that names the input ("NAME:").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shield/config.h"
#include "shield/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_shield_config: broken promise: %s (%s)\n", what, err);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	char err[1024] = "";
	if (data[0] & 1) {
		struct sw_rules *r = NULL;
		if (sw_rules_load_buf("f.rules", text, len, &r, err, sizeof(err)) == 0) {
			for (unsigned i = 0; i < sw_rules_count(r); i++)
				if (!sw_rules_rule_id(r, i)[0] || !sw_rules_rule_tool(r, i)[0])
					broken("a rule without id or tool", "");
			sw_rules_free(r);
		} else if (strncmp(err, "f.rules", 7) != 0) {
			broken("an error that does not name the file", err);
		}
		return 0;
	}
	static struct sw_shield_config cfg;
	if (sw_shield_config_load_buf("f.conf", text, len, &cfg, err, sizeof(err)) == 0) {
		if (cfg.nrealms == 0 || cfg.nports == 0)
			broken("a config without realm or port", "");
		for (unsigned i = 0; i < cfg.nprefixes; i++)
			if (cfg.prefixes[i].acl.realm >= cfg.nrealms)
				broken("a prefix naming no realm", "");
	} else if (strncmp(err, "f.conf", 6) != 0) {
		broken("an error that does not name the file", err);
	}
	return 0;
}
