/*
 * libFuzzer target for the capture reader: the input is a whole capture file (pcap or pcapng),
 * read from memory through fmemopen exactly as sw_capture_open would read it from disk, and
 * every datagram is pulled out. The reader, the frame decoder and the reassembly table all see
 * attacker-shaped bytes this way; each returned payload is touched end to end so a view that
 * points outside its buffer faults under ASan.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_capture *c = NULL;
	struct sw_datagram dg;
	char err[256];
	volatile uint8_t sink = 0;
	FILE *f;

	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer */
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	if (sw_capture_fopen(f, &c, err, sizeof(err)) < 0)
		return 0;
	while (sw_capture_next(c, &dg) == 1) {
		for (uint32_t i = 0; i < dg.len; i++)
			sink ^= dg.payload[i];
		if (dg.len > dg.orig_len)
			__builtin_trap();
	}
	(void)sw_capture_stats(c);
	(void)sw_capture_error(c);
	sw_capture_close(c);
	(void)sink;
	return 0;
}
