#include "report/normalise.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_vchar(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
	       c == '~' || c == '+' || c == '_' || c == '-';
}

static int opens_token(char c)
{
	return c == ' ' || c == '\t' || c == '/' || c == '-' || c == '_' || c == '(' || c == ':' ||
	       c == '=';
}

/* The length of the version starting at p[0..n), or 0 when none starts there. */
static size_t version_at(const char *p, size_t n)
{
	size_t i = 0;
	if (n >= 2 && (p[0] == 'v' || p[0] == 'V') && is_digit(p[1]))
		i = 1;
	if (i >= n || !is_digit(p[i]))
		return 0;
	int dotted = 0;
	size_t j = i;
	for (; j < n && is_vchar(p[j]); j++)
		if (p[j] == '.' && j + 1 < n && is_digit(p[j + 1]) && j > i && is_digit(p[j - 1]))
			dotted = 1;
	return dotted ? j : 0;
}

size_t sw_product_fold(struct sw_str s, char *out)
{
	size_t o = 0;
	if (!s.p)
		return 0;
	for (size_t i = 0; i < s.len;) {
		char c = s.p[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (o && out[o - 1] != ' ')
				out[o++] = ' ';
			i++;
			continue;
		}
		size_t v = (i == 0 || opens_token(s.p[i - 1])) ? version_at(s.p + i, s.len - i) : 0;
		if (v) {
			out[o++] = '*';
			i += v;
			continue;
		}
		out[o++] = c;
		i++;
	}
	while (o && out[o - 1] == ' ')
		o--;
	return o;
}
