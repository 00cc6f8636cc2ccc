/* thunkzlib.c: a program written against zlib's API (<zlib.h>), linked
 * with include/minemu_zlib.c instead of libz: every zlib call is a thunk
 * into the zlib library of thunks/libs/zlib (Go's compress/zlib on the
 * host), which calls the program's zalloc and zfree back. Static libc:
 * glibc i386 and x86-64, musl x86-64. Needs a minemu built with the
 * library (minemu thunks build ./thunks/libs/zlib).
 *
 *   thunkzlib check         the API, checked: one-shot and stream round
 *                           trips, every error code the library returns,
 *                           the callbacks; a tally line and PASS
 *   thunkzlib deflate|compress FILE      the corpus (zcorpus.h), compressed
 *                                        into FILE (a stream, or compress2)
 *   thunkzlib inflate|uncompress FILE    FILE decompressed and compared
 *                                        with the corpus
 *
 * tests/thunklibs_test.go runs the file modes against thunkzlibrt's (real
 * zlib) in both directions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "zcorpus.h"
#include "zstream.h"
#include "zfiles.h"

/* deflate and inflate counted, for the tally: how often the stream loops
 * call them depends on the compressed size, which is Go's compressor's. */
static long n_deflate, n_inflate;
static int c_deflate(z_streamp s, int f) { n_deflate++; return deflate(s, f); }
static int c_inflate(z_streamp s, int f) { n_inflate++; return inflate(s, f); }
#define deflate c_deflate
#define inflate c_inflate

static const struct zapi api = {"thunk", compress2, uncompress, deflateInit_, deflate, deflateEnd,
				inflateInit_, inflate, inflateEnd};

static int fails;

static void check(const char *name, int ok)
{
	printf("%s: %s\n", name, ok ? "ok" : "FAIL");
	if (!ok)
		fails++;
}

#define corpus zf_corpus
#define packed zf_packed
#define back zf_back

/* A zalloc that calls a thunk itself (a host function inside a guest
 * function inside a host function), and one that fails. */
static long nested_bound;
static voidpf alloc_nesting(voidpf opaque, uInt items, uInt size)
{
	nested_bound = (long)compressBound(100);
	return z_alloc(opaque, items, size);
}
static voidpf alloc_none(voidpf opaque, uInt items, uInt size) { return 0; }

static int data_word = 1;

static int check_all(void)
{
	uLongf n, m;
	long len;
	size_t left;
	int lv, ok;
	z_stream s, copy;

	zcorpus(corpus);

	/* One-shot. */
	check("compressBound covers the corpus", compressBound(ZCORPUS_LEN) <= sizeof packed &&
						       compressBound(ZCORPUS_LEN) >= ZCORPUS_LEN);
	ok = 1;
	for (lv = -1; lv <= 9; lv++) {
		n = sizeof packed;
		m = sizeof back;
		ok &= compress2(packed, &n, corpus, ZCORPUS_LEN, lv) == Z_OK && n <= compressBound(ZCORPUS_LEN);
		ok &= uncompress(back, &m, packed, n) == Z_OK && m == ZCORPUS_LEN && memcmp(back, corpus, m) == 0;
	}
	check("compress2 and uncompress round trip at every level", ok);
	n = sizeof packed;
	check("compress2 level 10: Z_STREAM_ERROR", compress2(packed, &n, corpus, 100, 10) == Z_STREAM_ERROR);
	n = sizeof packed;
	check("compress", compress(packed, &n, corpus, ZCORPUS_LEN) == Z_OK && n < ZCORPUS_LEN);
	m = ZCORPUS_LEN - 1;
	check("uncompress into one byte too few: Z_BUF_ERROR", uncompress(back, &m, packed, n) == Z_BUF_ERROR &&
								       m == ZCORPUS_LEN - 1);
	m = sizeof back;
	check("uncompress of a truncated stream: Z_DATA_ERROR", uncompress(back, &m, packed, n - 10) == Z_DATA_ERROR);
	packed[n / 2] ^= 0x55;
	m = sizeof back;
	check("uncompress of a corrupted stream: Z_DATA_ERROR", uncompress(back, &m, packed, n) == Z_DATA_ERROR);
	m = 5;
	check("compress2 into 5 bytes: Z_BUF_ERROR", compress2(packed, &m, corpus, ZCORPUS_LEN, 6) == Z_BUF_ERROR);
	n = sizeof packed;
	check("compress2 of an unmapped source: Z_STREAM_ERROR",
	      compress2(packed, &n, (const Bytef *)(uintptr_t)0x1000, 100, 6) == Z_STREAM_ERROR);
	check("uncompress with an unmapped destLen: Z_STREAM_ERROR",
	      uncompress(back, (uLongf *)(uintptr_t)0x1000, packed, 10) == Z_STREAM_ERROR);

	/* Streams, with the program's zalloc and zfree called back. */
	len = stream_deflate(&api, corpus, ZCORPUS_LEN, packed, sizeof packed, 1000, 777, 6);
	check("deflate stream (1000-byte input, 777-byte output chunks)", len > 0);
	check("deflate called zalloc and zfree", z_allocs == 1 && z_frees == 1 && z_live == 0 && z_bad_opaque == 0);
	m = sizeof back;
	check("uncompress reads the stream", uncompress(back, &m, packed, (uLong)len) == Z_OK && m == ZCORPUS_LEN &&
						     memcmp(back, corpus, m) == 0);
	memcpy(packed + len, "trailing", 8);
	check("inflate stream (333-byte input, 100-byte output chunks)",
	      stream_inflate(&api, packed, (size_t)len + 8, back, sizeof back, 333, 100, &left) == ZCORPUS_LEN &&
		  memcmp(back, corpus, ZCORPUS_LEN) == 0);
	check("inflate leaves the bytes after the stream", left == 8);
	check("inflate one byte at a time",
	      stream_inflate(&api, packed, (size_t)len, back, sizeof back, 1, 4096, &left) == ZCORPUS_LEN && left == 0);
	check("every zalloc freed", z_allocs == 3 && z_frees == 3 && z_live == 0 && z_bad_opaque == 0);

	/* The default allocator (zalloc NULL): the state is on the host heap. */
	memset(&s, 0, sizeof s);
	check("deflateInit with zalloc NULL", deflateInit(&s, 1) == Z_OK && s.state != 0);
	s.next_in = corpus;
	s.avail_in = 1000;
	s.next_out = packed;
	s.avail_out = sizeof packed;
	check("deflate Z_FINISH", deflate(&s, Z_FINISH) == Z_STREAM_END && s.total_in == 1000 && s.avail_in == 0);
	check("deflate after the end: Z_STREAM_END again", deflate(&s, Z_FINISH) == Z_STREAM_END);
	check("deflate Z_NO_FLUSH after the end: Z_STREAM_ERROR", deflate(&s, Z_NO_FLUSH) == Z_STREAM_ERROR);
	check("deflateEnd", deflateEnd(&s) == Z_OK && s.state == 0);
	check("deflateEnd again: Z_STREAM_ERROR", deflateEnd(&s) == Z_STREAM_ERROR);

	/* What the library refuses. */
	memset(&s, 0, sizeof s);
	check("deflate of a stream never initialised: Z_STREAM_ERROR", deflate(&s, Z_NO_FLUSH) == Z_STREAM_ERROR);
	s.state = (struct internal_state *)(void *)&data_word;
	check("deflate of a forged state: Z_STREAM_ERROR", deflate(&s, Z_NO_FLUSH) == Z_STREAM_ERROR);
	memset(&s, 0, sizeof s);
	check("deflateInit of version 2: Z_VERSION_ERROR", deflateInit_(&s, 6, "2.0.0", (int)sizeof s) == Z_VERSION_ERROR);
	check("deflateInit with a wrong z_stream size: Z_VERSION_ERROR",
	      deflateInit_(&s, 6, ZLIB_VERSION, (int)sizeof s - 4) == Z_VERSION_ERROR);
	check("deflateInit level 11: Z_STREAM_ERROR", deflateInit(&s, 11) == Z_STREAM_ERROR);
	check("deflateInit of NULL: Z_STREAM_ERROR", deflateInit((z_streamp)0, 6) == Z_STREAM_ERROR);
	z_use_alloc(&s);
	s.zalloc = alloc_none;
	check("zalloc returns NULL: Z_MEM_ERROR", deflateInit(&s, 6) == Z_MEM_ERROR);
	z_use_alloc(&s);
	s.zalloc = (alloc_func)(void *)&data_word;
	check("zalloc not code: Z_STREAM_ERROR", inflateInit(&s) == Z_STREAM_ERROR);
	z_use_alloc(&s);
	s.zfree = 0;
	check("zalloc without zfree: Z_STREAM_ERROR", inflateInit(&s) == Z_STREAM_ERROR);
	z_use_alloc(&s);
	check("inflateInit", inflateInit(&s) == Z_OK);
	copy = s;
	copy.next_out = back;
	copy.avail_out = 10;
	check("inflate of a moved z_stream: Z_STREAM_ERROR", inflate(&copy, Z_NO_FLUSH) == Z_STREAM_ERROR);
	check("deflate of an inflate stream: Z_STREAM_ERROR", deflate(&s, Z_NO_FLUSH) == Z_STREAM_ERROR);
	s.next_in = (Bytef *)"garbage!";
	s.avail_in = 8;
	s.next_out = back;
	s.avail_out = sizeof back;
	check("inflate of garbage: Z_DATA_ERROR", inflate(&s, Z_NO_FLUSH) == Z_DATA_ERROR);
	s.next_out = 0;
	check("inflate with next_out NULL: Z_STREAM_ERROR", inflate(&s, Z_NO_FLUSH) == Z_STREAM_ERROR);
	check("inflateEnd", inflateEnd(&s) == Z_OK);
	z_use_alloc(&s);
	s.zalloc = alloc_nesting;
	check("deflateInit with a zalloc that calls a thunk", deflateInit(&s, 6) == Z_OK && nested_bound >= 100);
	s.next_in = corpus;
	s.avail_in = 100;
	s.next_out = packed;
	s.avail_out = sizeof packed;
	check("deflate Z_NO_FLUSH", deflate(&s, Z_NO_FLUSH) == Z_OK && s.avail_in == 0);
	check("deflateEnd before the end: Z_DATA_ERROR", deflateEnd(&s) == Z_DATA_ERROR);
	check("every zalloc freed at the end", z_allocs == 5 && z_frees == 5 && z_live == 0 && z_bad_opaque == 0);

	printf("tally: zalloc=%ld zfree=%ld deflate=%ld inflate=%ld\n", z_allocs, z_frees, n_deflate, n_inflate);
	printf(fails ? "FAILED\n" : "PASS\n");
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	int r = argc == 2 && strcmp(argv[1], "check") == 0 ? check_all() : zfile_main(&api, argc, argv);
	fflush(stdout);
	return r;
}
