/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed hash from
 * any byte string to 64 bits, built for short inputs under a secret key. Used where an attacker
 * chooses the input and must not be able to predict or aim the output: the scanner's probe tokens
 * (scan/token.h) and the shield's source table (shield/tracker.h), whose buckets a flood of
 * spoofed sources must not be able to pile into.
 */
#ifndef SW_CORE_SIPHASH_H
#define SW_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SW_SIPHASH_KEY_LEN 16

/*
 * SipHash-2-4 of len bytes at data under a 16-byte key, as the reference implementation computes
 * it (the 64-bit result of its byte output read little-endian). data may be NULL when len is 0.
 */
uint64_t sw_siphash24(const uint8_t key[SW_SIPHASH_KEY_LEN], const void *data, size_t len);

/* Fill key with 16 bytes from the kernel's random source. 0, or SW_E_IO when there is none. */
int sw_siphash_key_random(uint8_t key[SW_SIPHASH_KEY_LEN]);

#endif
