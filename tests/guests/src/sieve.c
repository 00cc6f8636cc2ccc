/* sieve: the benchmark guest. Counts the primes below 1,000,000 with the
 * sieve of Eratosthenes argv[1] times (default 1) and folds the flags into
 * a CRC-32 (bitwise, no table) so every pass does shifts, xors and
 * branches over the whole array. */
#include "rt.h"

#define N 1000000
static u8 composite[N];

static u32 crc32(u32 crc, const u8 *p, int n)
{
	crc = ~crc;
	for (int i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

int main(int argc, char **argv, char **envp)
{
	int reps = argc > 1 ? atoi_(argv[1]) : 1;
	int count = 0;
	u32 crc = 0;
	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < N; i++)
			composite[i] = 0;
		count = 0;
		for (int i = 2; i < N; i++) {
			if (composite[i])
				continue;
			count++;
			for (int j = 2 * i; j < N; j += i)
				composite[j] = 1;
		}
		crc = crc32(crc, composite, 4096);
	}
	puts_("primes below 1000000: "), putdec(count), nl();
	puts_("crc "), puthex(crc, 8), nl();
	return 0;
}
