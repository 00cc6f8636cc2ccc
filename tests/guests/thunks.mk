# thunks.mk: the thunk test programs (included by the Makefile).
#
# thunk-{i386,x86_64}            freestanding (src/thunk.c, FREEFLAGS)
# thunk-glibc-{i386,x86_64}      static glibc (src/thunklibc.c)
# thunk-musl-x86_64              static musl (src/thunklibc.c)
# thunkbench-{i386,x86_64}       the benchmark loops (src/thunkbench.c)
# thunkcorrupt-{i386,x86_64}     a hostile guest overwriting a host-heap
#                                chunk header (src/thunkcorrupt.c)
#
# They call host functions through the stubs of include/minemu.h; the
# checks are in src/thunkcheck.h. A stub is the bytes 0F 3F, not a real
# instruction: run natively, these programs die of SIGILL, so `make golden`
# cannot record their outputs. The programs check themselves (exit 0 only
# if every check passed) and golden/thunk-*.txt (stdout) and
# golden/thunk-*.exit (status) record the expected result, written under
# minemu by
#   go test ./tests -run TestThunkPrograms -args -thunk-update
# and reviewed; tests/thunks_test.go compares every run with it and the
# --stats counters with the tally line. (Not *.stdout/*.status: golden.sh
# deletes those before rerunning cases.txt natively.)

THUNK_HDRS := src/thunkcheck.h src/rt.h include/minemu.h
THUNK_BINS := bin/thunk-i386 bin/thunk-x86_64 bin/thunk-glibc-i386 \
	bin/thunk-glibc-x86_64 bin/thunk-musl-x86_64 \
	bin/thunkbench-i386 bin/thunkbench-x86_64

all: $(THUNK_BINS)

bin/thunk-i386: src/thunk.c $(THUNK_HDRS)
	$(CC) -m32 $(FREEFLAGS) -Iinclude -o $@ $< -lgcc

bin/thunk-x86_64: src/thunk.c $(THUNK_HDRS)
	$(CC) -m64 $(FREEFLAGS) -Iinclude -o $@ $< -lgcc

bin/thunkbench-i386: src/thunkbench.c $(THUNK_HDRS)
	$(CC) -m32 $(FREEFLAGS) -Iinclude -o $@ $< -lgcc

bin/thunkbench-x86_64: src/thunkbench.c $(THUNK_HDRS)
	$(CC) -m64 $(FREEFLAGS) -Iinclude -o $@ $< -lgcc

bin/thunk-glibc-i386: src/thunklibc.c $(THUNK_HDRS)
	$(CC) -m32 -static $(LIBCFLAGS) -Iinclude -o $@ $<

bin/thunk-glibc-x86_64: src/thunklibc.c $(THUNK_HDRS)
	$(CC) -m64 -static $(LIBCFLAGS) -Iinclude -o $@ $<

bin/thunk-musl-x86_64: src/thunklibc.c $(THUNK_HDRS)
	$(MUSLCC) -static $(LIBCFLAGS) -Iinclude -o $@ $<

thunks: $(THUNK_BINS)

thunks-clean:
	rm -f $(THUNK_BINS)

clean: thunks-clean

.PHONY: thunks thunks-clean

# thunkunknown keeps its symbol table (no -s): minemu names the stub's symbol
# when it refuses the unknown hash.
UNKNOWN_FLAGS := $(filter-out -s,$(FREEFLAGS))

bin/thunkunknown-i386: src/thunkunknown.c $(THUNK_HDRS)
	$(CC) -m32 $(UNKNOWN_FLAGS) -Iinclude -o $@ $< -lgcc

bin/thunkunknown-x86_64: src/thunkunknown.c $(THUNK_HDRS)
	$(CC) -m64 $(UNKNOWN_FLAGS) -Iinclude -o $@ $< -lgcc

THUNK_BINS += bin/thunkunknown-i386 bin/thunkunknown-x86_64
all: bin/thunkunknown-i386 bin/thunkunknown-x86_64

bin/thunkcorrupt-i386: src/thunkcorrupt.c src/rt.h include/minemu.h
	$(CC) -m32 $(FREEFLAGS) -Iinclude -o $@ $< -lgcc

bin/thunkcorrupt-x86_64: src/thunkcorrupt.c src/rt.h include/minemu.h
	$(CC) -m64 $(FREEFLAGS) -Iinclude -o $@ $< -lgcc

THUNK_BINS += bin/thunkcorrupt-i386 bin/thunkcorrupt-x86_64
all: bin/thunkcorrupt-i386 bin/thunkcorrupt-x86_64

# thunkholes: the regression program of the holes of issue 13 (adoption,
# callback counters at the nesting bound, the string bound, bad frees and
# the guest's stderr), static libc.
bin/thunkholes-glibc-i386: src/thunkholes.c include/minemu.h
	$(CC) -m32 -static $(LIBCFLAGS) -Iinclude -o $@ $<

bin/thunkholes-glibc-x86_64: src/thunkholes.c include/minemu.h
	$(CC) -m64 -static $(LIBCFLAGS) -Iinclude -o $@ $<

bin/thunkholes-musl-x86_64: src/thunkholes.c include/minemu.h
	$(MUSLCC) -static $(LIBCFLAGS) -Iinclude -o $@ $<

THUNK_BINS += bin/thunkholes-glibc-i386 bin/thunkholes-glibc-x86_64 bin/thunkholes-musl-x86_64
all: bin/thunkholes-glibc-i386 bin/thunkholes-glibc-x86_64 bin/thunkholes-musl-x86_64

# The zlib thunk library (thunks/libs/zlib): thunkzlib is written against
# zlib's API and links include/minemu_zlib.c instead of libz; thunkzlibrt
# is the same file modes over the real libz.a (Debian's zlib1g-dev for
# x86-64, lib32z1-dev for i386), run as a guest under minemu against
# thunkzlib's. musl uses the system's zlib.h and the glibc-built libz.a,
# which needs nothing of glibc's.
ZLIB_SRC := src/zcorpus.h src/zstream.h src/zfiles.h include/minemu_zlib.h include/minemu_zlib.c
MUSLZLIB := -idirafter /usr/include

bin/thunkzlib-glibc-i386: src/thunkzlib.c $(ZLIB_SRC)
	$(CC) -m32 -static $(LIBCFLAGS) -Iinclude -o $@ $< include/minemu_zlib.c

bin/thunkzlib-glibc-x86_64: src/thunkzlib.c $(ZLIB_SRC)
	$(CC) -m64 -static $(LIBCFLAGS) -Iinclude -o $@ $< include/minemu_zlib.c

bin/thunkzlib-musl-x86_64: src/thunkzlib.c $(ZLIB_SRC)
	$(MUSLCC) -static $(LIBCFLAGS) $(MUSLZLIB) -Iinclude -o $@ $< include/minemu_zlib.c

bin/thunkzlibrt-glibc-x86_64: src/thunkzlibrt.c $(ZLIB_SRC)
	$(CC) -m64 -static $(LIBCFLAGS) -Iinclude -o $@ $< -lz

bin/thunkzlibrt-glibc-i386: src/thunkzlibrt.c $(ZLIB_SRC)
	$(CC) -m32 -static $(LIBCFLAGS) -Iinclude -o $@ $< -lz

bin/thunkzlibrt-musl-x86_64: src/thunkzlibrt.c $(ZLIB_SRC)
	$(MUSLCC) -static $(LIBCFLAGS) $(MUSLZLIB) -Iinclude -o $@ $< /usr/lib/x86_64-linux-gnu/libz.a

ZLIB_BINS := bin/thunkzlib-glibc-i386 bin/thunkzlib-glibc-x86_64 bin/thunkzlib-musl-x86_64 \
	bin/thunkzlibrt-glibc-i386 bin/thunkzlibrt-glibc-x86_64 bin/thunkzlibrt-musl-x86_64
THUNK_BINS += $(ZLIB_BINS)
all: $(ZLIB_BINS)

# The example thunk library (thunks/libs/example, docs/thunks.md).
EXAMPLE_SRC := include/minemu_example.h include/minemu_example.c

bin/thunkexample-glibc-i386: src/thunkexample.c $(EXAMPLE_SRC)
	$(CC) -m32 -static $(LIBCFLAGS) -Iinclude -o $@ $< include/minemu_example.c

bin/thunkexample-glibc-x86_64: src/thunkexample.c $(EXAMPLE_SRC)
	$(CC) -m64 -static $(LIBCFLAGS) -Iinclude -o $@ $< include/minemu_example.c

bin/thunkexample-musl-x86_64: src/thunkexample.c $(EXAMPLE_SRC)
	$(MUSLCC) -static $(LIBCFLAGS) -Iinclude -o $@ $< include/minemu_example.c

EXAMPLE_BINS := bin/thunkexample-glibc-i386 bin/thunkexample-glibc-x86_64 bin/thunkexample-musl-x86_64
THUNK_BINS += $(EXAMPLE_BINS)
all: $(EXAMPLE_BINS)
