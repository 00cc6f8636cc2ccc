/* zcorpus.h: the data the zlib thunk programs compress, the same on every
 * ABI: text that compresses well, then bytes that do not (a linear
 * congruential generator), then text again. */
#ifndef ZCORPUS_H
#define ZCORPUS_H

#include <stddef.h>
#include <stdint.h>

#define ZCORPUS_LEN 300000u

static void zcorpus(unsigned char *p)
{
	static const char text[] = "minemu runs the guest; the host compresses. ";
	uint32_t x = 12345;
	size_t i;
	for (i = 0; i < ZCORPUS_LEN; i++) {
		if (i >= 100000 && i < 160000) {
			x = x * 1103515245u + 12345u;
			p[i] = (unsigned char)(x >> 16);
		} else {
			p[i] = (unsigned char)text[i % (sizeof text - 1)];
		}
	}
}

/* Adler-32 as RFC 1950 defines it, to check z_stream.adler. */
static uint32_t zadler(const unsigned char *p, size_t n)
{
	uint32_t a = 1, b = 0;
	while (n--) {
		a = (a + *p++) % 65521u;
		b = (b + a) % 65521u;
	}
	return b << 16 | a;
}

#endif
