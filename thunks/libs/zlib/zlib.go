// Package zlib is a thunk library implementing a subset of zlib's API on
// the host with Go's compress/zlib: compressBound, compress, compress2,
// uncompress, and the deflate and inflate stream API (deflateInit_,
// deflate, deflateEnd, inflateInit_, inflate, inflateEnd) with the guest's
// zalloc and zfree called back from inside the host functions. A guest
// program written against zlib (<zlib.h>) links
// tests/guests/include/minemu_zlib.c instead of libz and runs under a
// minemu built with this package (`minemu thunks build ./thunks/libs/zlib`).
//
// The data is zlib's format (RFC 1950): real zlib inflates what this
// library deflates and the reverse, though the compressed bytes differ
// from real zlib's (Go's compressor is another implementation). What
// differs from zlib beyond that is listed in docs/thunks.md ("The zlib
// library").
//
// Every pointer that crosses is checked before use: buffers must be guest
// memory mapped with the access needed, zalloc and zfree must lie in
// executable guest memory, a z_stream's state must be one this library
// made for that very z_stream (a moved or forged stream is
// Z_STREAM_ERROR), and the memory zalloc returns must be writable guest
// memory. No guest value is trusted past its check: the Go side of each
// stream lives in the library's per-guest state, keyed by the state
// pointer, and is never read back from guest memory.
package zlib

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"

	"github.com/minemu/minemu/mm"
	"github.com/minemu/minemu/thunks"
)

//go:generate go run ../../gen -lib zlib -o ../../../tests/guests/include/minemu_zlib.h -stubs ../../../tests/guests/include/minemu_zlib.c

// zlib's return codes and flush values.
const (
	zOK           = 0
	zStreamEnd    = 1
	zNeedDict     = 2
	zStreamError  = -2
	zDataError    = -3
	zMemError     = -4
	zBufError     = -5
	zVersionError = -6

	zNoFlush      = 0
	zPartialFlush = 1
	zSyncFlush    = 2
	zFullFlush    = 3
	zFinish       = 4
	zBlock        = 5
	zTrees        = 6
)

// Library is the declaration. The types are zlib.h's; the prototypes are
// zlib 1.2's, so that minemu_zlib.c compiles against the real <zlib.h>.
var Library = &thunks.Library{
	Name:    "zlib",
	Doc:     "a subset of zlib's API on the host (Go's compress/zlib).",
	Prelude: "#include <zlib.h>",
	Types: map[string]thunks.Kind{
		"uLong": thunks.KindSize, "uInt": thunks.KindInt, "z_streamp": thunks.KindPtr,
	},
	Funcs: []thunks.Function{
		{Decl: "uLong compressBound(uLong sourceLen)", Impl: compressBound,
			Doc: "An upper bound of the compressed size of sourceLen bytes."},
		{Decl: "int compress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen)", Impl: compress,
			Doc: "compress2 at Z_DEFAULT_COMPRESSION."},
		{Decl: "int compress2(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen, int level)", Impl: compress2,
			Doc: "One-shot zlib compression into dest (*destLen: its size, then the compressed size)."},
		{Decl: "int uncompress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen)", Impl: uncompress,
			Doc: "One-shot decompression into dest (*destLen: its size, then the bytes written)."},
		{Decl: "int deflateInit_(z_streamp strm, int level, const char *version, int stream_size)", Impl: deflateInit,
			Doc: "Starts a deflate stream (zlib.h's deflateInit macro calls it); zalloc is called back for the state."},
		{Decl: "int deflate(z_streamp strm, int flush)", Impl: deflate,
			Doc: "Compresses next_in to next_out."},
		{Decl: "int deflateEnd(z_streamp strm)", Impl: deflateEnd,
			Doc: "Ends a deflate stream; zfree is called back for the state."},
		{Decl: "int inflateInit_(z_streamp strm, const char *version, int stream_size)", Impl: inflateInit,
			Doc: "Starts an inflate stream (zlib.h's inflateInit macro calls it); zalloc is called back for the state."},
		{Decl: "int inflate(z_streamp strm, int flush)", Impl: inflate,
			Doc: "Decompresses next_in to next_out."},
		{Decl: "int inflateEnd(z_streamp strm)", Impl: inflateEnd,
			Doc: "Ends an inflate stream; zfree is called back for the state."},
	},
	NewState: func() any { return &streams{byState: map[mm.Addr]*stream{}} },
}

func init() { thunks.Include(Library) }

// code is a zlib return code in an int result slot.
func code(v int) uint64 { return uint64(int64(v)) }

func compressBound(c thunks.Call) (uint64, error) {
	b := boundOf(c.Arg(0))
	if c.Mode() == mm.Mode32 && b > 0xffffffff {
		b = 0xffffffff
	}
	return b, nil
}

// boundOf is compressBound's value for n bytes.
func boundOf(n uint64) uint64 {
	b := n + n>>12 + n>>14 + n>>25 + 13 // zlib's compressBound
	// Go's compressor stores an incompressible input in blocks of at
	// most 65,535 bytes with 5 bytes of header each: never more than
	// zlib's bound but for tiny inputs, which the 13 covers; the stored
	// size is added anyway so that the bound holds by construction.
	return max(b, n+5*(n/65535+1)+6+5)
}

func compress(c thunks.Call) (uint64, error) {
	return compressLevel(c, -1)
}

func compress2(c thunks.Call) (uint64, error) {
	return compressLevel(c, int(c.Int(4)))
}

// goLevel maps a zlib level to Go's, or false.
func goLevel(level int) (int, bool) {
	switch {
	case level == -1:
		return zlib.DefaultCompression, true
	case level >= 0 && level <= 9:
		return level, true
	}
	return 0, false
}

func compressLevel(c thunks.Call, level int) (uint64, error) {
	dest, destLenP, src, srcLen := c.Ptr(0), c.Ptr(1), c.Ptr(2), c.Arg(3)
	lvl, ok := goLevel(level)
	if !ok {
		return code(zStreamError), nil
	}
	destLen, err := c.ReadWord(destLenP)
	if err != nil || c.CheckRW(destLenP, c.Width()) != nil {
		return code(zStreamError), nil
	}
	in, err := c.Read(src, srcLen)
	if errors.Is(err, thunks.ErrTooLarge) {
		return code(zMemError), nil
	} else if err != nil {
		return code(zStreamError), nil
	}
	var out bytes.Buffer
	w, _ := zlib.NewWriterLevel(&out, lvl)
	w.Write(in)
	w.Close()
	// Like zlib: what fits is written, *destLen says how much, and a
	// dest too small is Z_BUF_ERROR.
	n := min(uint64(out.Len()), destLen)
	if err := c.Write(dest, out.Bytes()[:n]); err != nil {
		return code(zStreamError), nil
	}
	if err := c.WriteWord(destLenP, n); err != nil {
		return code(zStreamError), nil
	}
	if n < uint64(out.Len()) {
		return code(zBufError), nil
	}
	return code(zOK), nil
}

func uncompress(c thunks.Call) (uint64, error) {
	dest, destLenP, src, srcLen := c.Ptr(0), c.Ptr(1), c.Ptr(2), c.Arg(3)
	destLen, err := c.ReadWord(destLenP)
	if err != nil || c.CheckRW(destLenP, c.Width()) != nil {
		return code(zStreamError), nil
	}
	in, err := c.Read(src, srcLen)
	if errors.Is(err, thunks.ErrTooLarge) {
		return code(zMemError), nil
	} else if err != nil {
		return code(zStreamError), nil
	}
	// Decompress at most destLen bytes, plus one to tell "exactly full"
	// from "too small"; more than MaxBuffer is Z_MEM_ERROR.
	limit := min(destLen, thunks.MaxBuffer)
	var out []byte
	r, err := zlib.NewReader(bytes.NewReader(in))
	if err == nil {
		out, err = io.ReadAll(io.LimitReader(r, int64(limit)+1))
	}
	ret := zOK
	switch {
	case uint64(len(out)) > limit && limit < destLen:
		return code(zMemError), nil
	case uint64(len(out)) > limit:
		out, ret = out[:limit], zBufError
	case err != nil:
		// Corrupt, truncated, or a dictionary it does not have: zlib
		// reports all three as Z_DATA_ERROR from uncompress.
		ret = zDataError
	}
	if err := c.Write(dest, out); err != nil {
		return code(zStreamError), nil
	}
	if err := c.WriteWord(destLenP, uint64(len(out))); err != nil {
		return code(zStreamError), nil
	}
	return code(ret), nil
}
