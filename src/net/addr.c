#include "net/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

void sw_endpoint_set_v4(struct sw_endpoint *ep, const uint8_t addr[4], uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = AF_INET;
	ep->port = port;
	memcpy(ep->addr, addr, 4);
}

void sw_endpoint_set_v6(struct sw_endpoint *ep, const uint8_t addr[16], uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = AF_INET6;
	ep->port = port;
	memcpy(ep->addr, addr, 16);
}

/* Field by field: the struct has a padding byte, so memcmp of whole structs would be wrong. */
bool sw_addr_equal(const struct sw_endpoint *a, const struct sw_endpoint *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

bool sw_endpoint_equal(const struct sw_endpoint *a, const struct sw_endpoint *b)
{
	return a->port == b->port && sw_addr_equal(a, b);
}

/*
 * inet_ntop into a local buffer first, so a short caller buffer still gets a cut-off copy and
 * the snprintf-like return value, instead of inet_ntop's all-or-nothing failure.
 */
static int addr_text(const struct sw_endpoint *ep, char text[SW_ADDR_STRLEN])
{
	int af;

	if (ep->family == AF_INET)
		af = AF_INET;
	else if (ep->family == AF_INET6)
		af = AF_INET6;
	else
		return SW_E_INVAL;
	if (!inet_ntop(af, ep->addr, text, SW_ADDR_STRLEN))
		return SW_E_INVAL;
	return 0;
}

int sw_addr_format(const struct sw_endpoint *ep, char *buf, size_t len)
{
	char text[SW_ADDR_STRLEN];

	if (addr_text(ep, text) < 0) {
		if (len)
			snprintf(buf, len, "?");
		return SW_E_INVAL;
	}
	return snprintf(buf, len, "%s", text);
}

int sw_endpoint_format(const struct sw_endpoint *ep, char *buf, size_t len)
{
	char text[SW_ADDR_STRLEN];

	if (addr_text(ep, text) < 0) {
		if (len)
			snprintf(buf, len, "?");
		return SW_E_INVAL;
	}
	if (ep->family == AF_INET6)
		return snprintf(buf, len, "[%s]:%u", text, (unsigned)ep->port);
	return snprintf(buf, len, "%s:%u", text, (unsigned)ep->port);
}
