/* thunkzlibrt.c: real zlib (libz.a, linked in) on the corpus of
 * zcorpus.h, through files: what the zlib thunk library (thunkzlib, under
 * minemu) deflates this inflates, and the reverse. It calls no thunk and
 * runs natively: Debian's x86-64 libz.a uses SSE, which minemu does not
 * interpret, and Debian has no i386 libz.a. Static libc, x86-64 (glibc and
 * musl).
 *
 *   thunkzlibrt deflate FILE     the corpus, stream-deflated into FILE
 *   thunkzlibrt inflate FILE     FILE stream-inflated and compared
 *   thunkzlibrt compress FILE    the corpus, compress2'ed into FILE
 *   thunkzlibrt uncompress FILE  FILE uncompressed and compared
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "zcorpus.h"
#include "zstream.h"
#include "zfiles.h"

static const struct zapi api = {"real zlib", compress2, uncompress, deflateInit_, deflate, deflateEnd,
				inflateInit_, inflate, inflateEnd};

int main(int argc, char **argv)
{
	int r = zfile_main(&api, argc, argv);
	fflush(stdout);
	return r;
}
