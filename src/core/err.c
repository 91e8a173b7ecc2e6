#include "core/err.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct err_entry {
	int code;
	const char *id;
	const char *msg;
};

static const struct err_entry errors[] = {
#define SW_ERR_ROW(name, val, id, msg) {(val), (id), (msg)},
	SW_ERRORS(SW_ERR_ROW)
#undef SW_ERR_ROW
};

static const struct err_entry *lookup(int code)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == code)
			return &errors[i];
	return NULL;
}

const char *sw_strerror(int code)
{
	const struct err_entry *e = lookup(code);
	return e ? e->msg : "unknown error";
}

const char *sw_errname(int code)
{
	const struct err_entry *e = lookup(code);
	return e ? e->id : "unknown";
}

void sw_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
