# Dynamically linked guests (gcc without -static: PT_INTERP names
# /lib/ld-linux.so.2 or /lib64/ld-linux-x86-64.so.2, or musl's
# /lib/ld-musl-x86_64.so.1) and the shared libraries their cases load
# (LD_LIBRARY_PATH=bin, LD_PRELOAD=bin/...). Running them needs the C
# libraries at run time: .ci/run installs Debian's libc6-i386 when it is
# missing.
DYNFLAGS := -Os -s -Wall
SOFLAGS  := -Os -s -Wall -shared -fPIC

bin/libc-dyn-glibc-i386: src/libc.c
	$(CC) -m32 $(DYNFLAGS) -o $@ $<
bin/libc-dyn-glibc-x86_64: src/libc.c
	$(CC) -m64 $(DYNFLAGS) -o $@ $<
bin/libc-dyn-musl-x86_64: src/libc.c
	$(MUSLCC) $(DYNFLAGS) -o $@ $<
bin/libc-dyn-nopie-glibc-i386: src/libc.c
	$(CC) -m32 -no-pie $(DYNFLAGS) -o $@ $<

bin/dynproc-glibc-i386: src/dynproc.c
	$(CC) -m32 $(DYNFLAGS) -o $@ $<
bin/dynproc-glibc-x86_64: src/dynproc.c
	$(CC) -m64 $(DYNFLAGS) -o $@ $<

bin/libdynlib-i386.so: src/dynlib.c
	$(CC) -m32 $(SOFLAGS) -o $@ $<
bin/libdynlib-x86_64.so: src/dynlib.c
	$(CC) -m64 $(SOFLAGS) -o $@ $<
bin/dyndlopen-glibc-i386: src/dyndlopen.c
	$(CC) -m32 $(DYNFLAGS) -DLIBNAME='"libdynlib-i386.so"' -o $@ $< -ldl
bin/dyndlopen-glibc-x86_64: src/dyndlopen.c
	$(CC) -m64 $(DYNFLAGS) -DLIBNAME='"libdynlib-x86_64.so"' -o $@ $< -ldl

bin/libdynpreload-i386.so: src/dynpreload.c
	$(CC) -m32 $(SOFLAGS) -o $@ $< -ldl
bin/libdynpreload-x86_64.so: src/dynpreload.c
	$(CC) -m64 $(SOFLAGS) -o $@ $< -ldl
bin/dynwrap-glibc-i386: src/dynwrap.c
	$(CC) -m32 $(DYNFLAGS) -o $@ $<
bin/dynwrap-glibc-x86_64: src/dynwrap.c
	$(CC) -m64 $(DYNFLAGS) -o $@ $<

DYN_BINS := bin/libc-dyn-glibc-i386 bin/libc-dyn-glibc-x86_64 bin/libc-dyn-musl-x86_64 bin/libc-dyn-nopie-glibc-i386 \
	bin/dynproc-glibc-i386 bin/dynproc-glibc-x86_64 \
	bin/libdynlib-i386.so bin/libdynlib-x86_64.so bin/dyndlopen-glibc-i386 bin/dyndlopen-glibc-x86_64 \
	bin/libdynpreload-i386.so bin/libdynpreload-x86_64.so bin/dynwrap-glibc-i386 bin/dynwrap-glibc-x86_64

# dynneeded: DT_NEEDED of the test library (the sysroot test finds it in
# the sysroot's /lib).
bin/dynneeded-glibc-i386: src/dynneeded.c bin/libdynlib-i386.so
	$(CC) -m32 $(DYNFLAGS) -o $@ $< -Lbin -l:libdynlib-i386.so
bin/dynneeded-glibc-x86_64: src/dynneeded.c bin/libdynlib-x86_64.so
	$(CC) -m64 $(DYNFLAGS) -o $@ $< -Lbin -l:libdynlib-x86_64.so
DYN_BINS += bin/dynneeded-glibc-i386 bin/dynneeded-glibc-x86_64

all: $(DYN_BINS)
golden: $(DYN_BINS)
BINS += $(DYN_BINS)

# The same through musl's dynamic linker (x86-64; runnable while the
# glibc x86-64 loader waits for the x87/MMX CPUID bits): libraries built
# with musl-gcc.
bin/libdynlib-musl-x86_64.so: src/dynlib.c
	$(MUSLCC) $(SOFLAGS) -o $@ $<
bin/dyndlopen-musl-x86_64: src/dyndlopen.c
	$(MUSLCC) $(DYNFLAGS) -DLIBNAME='"libdynlib-musl-x86_64.so"' -o $@ $<
bin/libdynpreload-musl-x86_64.so: src/dynpreload.c
	$(MUSLCC) $(SOFLAGS) -o $@ $<
bin/dynwrap-musl-x86_64: src/dynwrap.c
	$(MUSLCC) $(DYNFLAGS) -o $@ $<
bin/dynproc-musl-x86_64: src/dynproc.c
	$(MUSLCC) $(DYNFLAGS) -o $@ $<
DYN_MUSL_BINS := bin/libdynlib-musl-x86_64.so bin/dyndlopen-musl-x86_64 bin/libdynpreload-musl-x86_64.so \
	bin/dynwrap-musl-x86_64 bin/dynproc-musl-x86_64
all: $(DYN_MUSL_BINS)
golden: $(DYN_MUSL_BINS)
BINS += $(DYN_MUSL_BINS)
