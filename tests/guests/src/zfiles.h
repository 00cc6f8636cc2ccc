/* zfiles.h: the file modes of the zlib programs (thunkzlib.c,
 * thunkzlibrt.c), the same over real zlib and the thunks:
 *   deflate FILE, compress FILE      the corpus, compressed into FILE
 *   inflate FILE, uncompress FILE    FILE decompressed and compared with it
 * Needs zcorpus.h and zstream.h. */
#ifndef ZFILES_H
#define ZFILES_H

static unsigned char zf_corpus[ZCORPUS_LEN], zf_packed[ZCORPUS_LEN + 4096], zf_back[ZCORPUS_LEN + 16];

static long zf_io(const char *path, unsigned char *buf, size_t cap, size_t n, int writing)
{
	FILE *f = fopen(path, writing ? "wb" : "rb");
	size_t got;
	if (!f)
		return -1;
	got = writing ? fwrite(buf, 1, n, f) : fread(buf, 1, cap, f);
	if (fclose(f) != 0 || (writing && got != n))
		return -1;
	return (long)got;
}

/* zfile_main runs a file mode; 2 if argv names none. */
static int zfile_main(const struct zapi *z, int argc, char **argv)
{
	long len = -1, n;
	size_t left = 1;
	uLongf dn = sizeof zf_packed, un = sizeof zf_back;
	int r;
	if (argc != 3)
		return 2;
	zcorpus(zf_corpus);
	if (strcmp(argv[1], "deflate") == 0 || strcmp(argv[1], "compress") == 0) {
		if (argv[1][0] == 'd')
			len = stream_deflate(z, zf_corpus, ZCORPUS_LEN, zf_packed, sizeof zf_packed, 4096, 1000, 9);
		else if (z->compress2(zf_packed, &dn, zf_corpus, ZCORPUS_LEN, 9) == Z_OK)
			len = (long)dn;
		r = len > 0 && zf_io(argv[2], zf_packed, 0, (size_t)len, 1) == len ? 0 : 1;
		printf("%s %s: %s\n", z->name, argv[1], r ? "FAIL" : "ok");
		return r;
	}
	if (strcmp(argv[1], "inflate") == 0 || strcmp(argv[1], "uncompress") == 0) {
		n = zf_io(argv[2], zf_packed, sizeof zf_packed, 0, 0);
		if (n > 0 && argv[1][0] == 'i')
			len = stream_inflate(z, zf_packed, (size_t)n, zf_back, sizeof zf_back, 1000, 4096, &left);
		else if (n > 0 && z->uncompress(zf_back, &un, zf_packed, (uLong)n) == Z_OK)
			len = (long)un, left = 0;
		r = len == ZCORPUS_LEN && left == 0 && memcmp(zf_back, zf_corpus, ZCORPUS_LEN) == 0 ? 0 : 1;
		printf("%s %s: %s\n", z->name, argv[1], r ? "FAIL" : "ok");
		return r;
	}
	return 2;
}

#endif
