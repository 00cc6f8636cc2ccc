/* zstream.h: zlib stream loops over a table of zlib's functions, so that
 * one loop drives real zlib and the thunk library alike (thunkzlib.c,
 * thunkzlibrt.c). Needs <zlib.h>, <stdlib.h>, <string.h>. */
#ifndef ZSTREAM_H
#define ZSTREAM_H

struct zapi {
	const char *name;
	int (*compress2)(Bytef *, uLongf *, const Bytef *, uLong, int);
	int (*uncompress)(Bytef *, uLongf *, const Bytef *, uLong);
	int (*deflateInit_)(z_streamp, int, const char *, int);
	int (*deflate)(z_streamp, int);
	int (*deflateEnd)(z_streamp);
	int (*inflateInit_)(z_streamp, const char *, int);
	int (*inflate)(z_streamp, int);
	int (*inflateEnd)(z_streamp);
};

/* The guest's allocator for zlib, counted; opaque must come back. */
static long z_allocs, z_frees, z_live, z_bad_opaque;
static int z_opaque_tag;

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	void *p;
	if (opaque != &z_opaque_tag)
		z_bad_opaque++;
	p = calloc(items, size);
	if (p) {
		z_allocs++;
		z_live++;
	}
	return p;
}

static void z_free(voidpf opaque, voidpf p)
{
	if (opaque != &z_opaque_tag)
		z_bad_opaque++;
	if (p) {
		z_frees++;
		z_live--;
	}
	free(p);
}

static void z_use_alloc(z_stream *s)
{
	memset(s, 0, sizeof *s);
	s->zalloc = z_alloc;
	s->zfree = z_free;
	s->opaque = &z_opaque_tag;
}

/* stream_deflate compresses in[0..n) into out (cap bytes), giving deflate
 * inchunk bytes of input and outchunk bytes of room a call, with a
 * Z_SYNC_FLUSH half way; the compressed length, or -1. */
static long stream_deflate(const struct zapi *z, const unsigned char *in, size_t n, unsigned char *out, size_t cap,
			   size_t inchunk, size_t outchunk, int level)
{
	z_stream s;
	size_t fed = 0;
	int flush, r;
	z_use_alloc(&s);
	if (z->deflateInit_(&s, level, ZLIB_VERSION, (int)sizeof s) != Z_OK)
		return -1;
	do {
		size_t give = n - fed < inchunk ? n - fed : inchunk;
		s.next_in = (Bytef *)in + fed;
		s.avail_in = (uInt)give;
		fed += give;
		flush = fed == n ? Z_FINISH : fed >= n / 2 && fed - give < n / 2 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
		do {
			size_t room = cap - s.total_out < outchunk ? cap - s.total_out : outchunk;
			s.next_out = out + s.total_out;
			s.avail_out = (uInt)room;
			r = z->deflate(&s, flush);
			if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
				return -1;
		} while (s.avail_out == 0 && s.total_out < cap);
		if (s.avail_in != 0)
			return -1;
	} while (flush != Z_FINISH);
	if (r != Z_STREAM_END || s.total_in != n || (n > 0 && s.adler != zadler(in, n)))
		return -1;
	if (z->deflateEnd(&s) != Z_OK)
		return -1;
	return (long)s.total_out;
}

/* stream_inflate decompresses in[0..n) into out (cap bytes), in chunks
 * like stream_deflate; the length, or -1. Bytes after the end of the
 * stream are left in avail_in: *left says how many. */
static long stream_inflate(const struct zapi *z, const unsigned char *in, size_t n, unsigned char *out, size_t cap,
			   size_t inchunk, size_t outchunk, size_t *left)
{
	z_stream s;
	size_t fed = 0;
	int r = Z_OK;
	z_use_alloc(&s);
	if (z->inflateInit_(&s, ZLIB_VERSION, (int)sizeof s) != Z_OK)
		return -1;
	while (r != Z_STREAM_END) {
		size_t give = n - fed < inchunk ? n - fed : inchunk;
		if (give == 0)
			return -1;
		s.next_in = (Bytef *)in + fed;
		s.avail_in = (uInt)give;
		do {
			size_t room = cap - s.total_out < outchunk ? cap - s.total_out : outchunk;
			s.next_out = out + s.total_out;
			s.avail_out = (uInt)room;
			r = z->inflate(&s, Z_NO_FLUSH);
			if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
				return -1;
		} while (r != Z_STREAM_END && s.avail_out == 0 && s.total_out < cap);
		fed += give - s.avail_in;
		if (r != Z_STREAM_END && s.avail_in != 0)
			return -1;
	}
	*left = n - fed;
	if (s.adler != zadler(out, s.total_out))
		return -1;
	if (z->inflateEnd(&s) != Z_OK)
		return -1;
	return (long)s.total_out;
}

#endif
