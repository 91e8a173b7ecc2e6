#include "core/opt.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define SW_OPT_MAX 64

int sw_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		  unsigned long long *ret)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return SW_E_SYNTAX;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end != '\0')
		return SW_E_SYNTAX;
	if (errno == ERANGE || v < min || v > max)
		return SW_E_RANGE;
	*ret = v;
	return 0;
}

int sw_opt_parse(const struct sw_opt *opts, int argc, char **argv, sw_opt_cb cb, void *ctx,
		 char *err, size_t errlen)
{
	struct option lopts[SW_OPT_MAX + 1];
	char sopts[SW_OPT_MAX * 2 + 2];
	size_t n = 0, sn = 0;
	sopts[sn++] = ':'; /* report missing arguments as ':' */
	for (; opts[n].name && n < SW_OPT_MAX; n++) {
		lopts[n] = (struct option){opts[n].name,
					   opts[n].arg ? required_argument : no_argument, NULL,
					   256 + (int)n};
		if (opts[n].short_name) {
			sopts[sn++] = opts[n].short_name;
			if (opts[n].arg)
				sopts[sn++] = ':';
		}
	}
	lopts[n] = (struct option){NULL, 0, NULL, 0};
	sopts[sn] = '\0';

	optind = 0; /* full reset: subcommands parse a fresh argv */
	opterr = 0;
	int c, li;
	while ((c = getopt_long(argc, argv, sopts, lopts, &li)) != -1) {
		const struct sw_opt *o = NULL;
		if (c >= 256) {
			o = &opts[c - 256];
		} else if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (optopt && optopt < 256)
				snprintf(err, errlen, "option '-%c' %s", optopt,
					 c == ':' ? "needs a value" : "is unknown");
			else
				snprintf(err, errlen, "option '%s' %s", bad ? bad : "?",
					 c == ':' ? "needs a value" : "is unknown");
			return SW_E_INVAL;
		} else {
			for (size_t i = 0; i < n; i++)
				if (opts[i].short_name == c)
					o = &opts[i];
		}
		if (!o) {
			snprintf(err, errlen, "option parsing failed");
			return SW_E_INVAL;
		}
		int rc = cb(ctx, o->key, o->arg ? optarg : NULL, err, errlen);
		if (rc != 0)
			return rc;
	}
	return optind;
}

void sw_opt_help(const struct sw_opt *opts, FILE *f)
{
	for (size_t i = 0; opts[i].name; i++) {
		char left[64], sh[5] = "    ";
		if (opts[i].short_name)
			snprintf(sh, sizeof(sh), "-%c, ", opts[i].short_name);
		snprintf(left, sizeof(left), "%s--%s%s%s", sh, opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-30s %s\n", left, opts[i].help);
	}
}
