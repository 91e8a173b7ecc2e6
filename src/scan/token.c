/*
 * The probe tokens, built on SipHash-2-4.
 *
 * The hash is SipHash-2-4 (core/siphash.h): a keyed function from a short byte string to 64
 * bits, about 25 ns for our 19-byte endpoint on a 2-core EPYC VM.
 *
 * The tokens then only need a fixed input layout (token.h) and fixed-width text: the check
 * renders the expected texts for the reply's source and compares them with the reply's fields
 * byte for byte, accumulating differences instead of stopping at the first, so the time taken
 * does not tell an attacker how much of a guess was right.
 */
#include "scan/token.h"

#include <stdbool.h>
#include <string.h>

#include "core/err.h"

int sw_token_key_random(struct sw_token_key *key)
{
	return sw_siphash_key_random(key->b);
}

int sw_token_make(const struct sw_token_key *key, const struct sw_endpoint *ep, uint64_t *ret_token)
{
	uint8_t msg[19] = {0};

	if (ep->family == AF_INET) {
		msg[0] = 4;
		memcpy(msg + 1, ep->addr, 4);
	} else if (ep->family == AF_INET6) {
		msg[0] = 6;
		memcpy(msg + 1, ep->addr, 16);
	} else {
		return SW_E_INVAL;
	}
	msg[17] = (uint8_t)(ep->port >> 8);
	msg[18] = (uint8_t)ep->port;
	*ret_token = sw_siphash24(key->b, msg, sizeof(msg));
	return 0;
}

void sw_token_hex(uint64_t token, char out[SW_TOKEN_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = SW_TOKEN_HEX_LEN - 1; i >= 0; i--) {
		out[i] = digits[token & 0xf];
		token >>= 4;
	}
	out[SW_TOKEN_HEX_LEN] = '\0';
}

void sw_token_b62(uint64_t token, char out[SW_TOKEN_B62_LEN + 1])
{
	static const char digits[] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

	for (int i = SW_TOKEN_B62_LEN - 1; i >= 0; i--) {
		out[i] = digits[token % 62];
		token /= 62;
	}
	out[SW_TOKEN_B62_LEN] = '\0';
}

void sw_token_branch(uint64_t token, char out[SW_TOKEN_BRANCH_LEN + 1])
{
	const size_t cookie = sizeof(SW_TOKEN_BRANCH_COOKIE) - 1;

	memcpy(out, SW_TOKEN_BRANCH_COOKIE, cookie);
	sw_token_hex(token, out + cookie);
}

/* Whether the first n bytes of got equal want, in a time that depends on n only. */
static bool same_bytes(const char *got, const char *want, size_t n)
{
	unsigned diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)got[i] ^ (unsigned char)want[i];
	return diff == 0;
}

unsigned sw_token_check(const struct sw_token_key *key, const struct sw_endpoint *src,
			struct sw_str branch, struct sw_str from_tag, struct sw_str call_id)
{
	char want_branch[SW_TOKEN_BRANCH_LEN + 1], want_b62[SW_TOKEN_B62_LEN + 1];
	uint64_t token;
	unsigned found = 0;

	if (sw_token_make(key, src, &token) < 0)
		return 0;
	sw_token_branch(token, want_branch);
	sw_token_b62(token, want_b62);
	if (branch.p && branch.len == SW_TOKEN_BRANCH_LEN &&
	    same_bytes(branch.p, want_branch, SW_TOKEN_BRANCH_LEN))
		found |= SW_TOKEN_BRANCH;
	if (from_tag.p && from_tag.len == SW_TOKEN_B62_LEN &&
	    same_bytes(from_tag.p, want_b62, SW_TOKEN_B62_LEN))
		found |= SW_TOKEN_TAG;
	if (call_id.p && call_id.len >= SW_TOKEN_B62_LEN &&
	    (call_id.len == SW_TOKEN_B62_LEN || call_id.p[SW_TOKEN_B62_LEN] == '@') &&
	    same_bytes(call_id.p, want_b62, SW_TOKEN_B62_LEN))
		found |= SW_TOKEN_CALL_ID;
	return found;
}
