package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa/cpuid"
	"github.com/minemu/minemu/mm"
)

// The XSAVE family: xsave, xsaveopt and xsavec images compared byte for
// byte with the host's own of the same state, xrstor of random valid
// images compared through the state it loads (saved again with xsave and
// in ymm0-3), the #GP cases, and xgetbv against the model.

// xsaveModel is a model of level x86-64-v3 with XSAVE, XSAVEOPT, XSAVEC
// and AVX (the host permitting).
func xsaveModel(t *testing.T, mode64 bool) *cpuid.Model {
	t.Helper()
	md, err := cpuid.NewHost(cpuid.Config{Level: cpuid.V3, Implemented: cpuid.All, Mode64: mode64})
	if err != nil {
		t.Fatal(err)
	}
	if md.XCR0() != cpuid.XCR0X87|cpuid.XCR0SSE|cpuid.XCR0AVX || !md.Features().Has(cpuid.XSAVEC|cpuid.XSAVEOPT) {
		t.Fatalf("model XCR0 %#x, features %v: the host lacks XSAVE, XSAVEC or AVX", md.XCR0(), md.Features())
	}
	return md
}

// newEnvModel is newEnv for a process with CPU model md.
func newEnvModel(t *testing.T, mode mm.Mode, md *cpuid.Model) *testEnv {
	t.Helper()
	base, err := mapAnonProt(envSize, true, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmapAnon(base, envSize) })
	m, err := newMachine(Config{Mode: mode, CPU: md})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, m: m, c: cpu.NewCPU(mode), base: base}
	e.reset()
	return e
}

// ymmFill sets ymm4-15 to copies of ymm0-3 (so that the host's and the
// interpreter's agree: the harness loads only ymm0-3).
func ymmFill() []byte {
	var b []byte
	for i := 4; i < 16; i++ {
		// vmovdqa ymm_i, ymm(i%4): VEX.256.66.0F.WIG 6F /r
		b = append(b, 0xc4, byte(^(i>>3)&1)<<7|0x61, 0x7d, 0x6f, 0xc0|byte(i&7)<<3|byte(i%4))
	}
	return b
}

const xsBuf = 8192

func TestXsaveNative(t *testing.T) {
	md := xsaveModel(t, true)
	state, code := nativeBuffers(t)
	e := newEnvModel(t, mm.Mode64, md)
	buf := e.data() + 0x10000 // inside the guest's memory, 64-byte aligned
	rng := rand.New(rand.NewPCG(5, 6))
	// x87 registers all zeros on both sides: fninit; fldz x8; fninit.
	x87zero := []byte{0xdb, 0xe3, 0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xee, 0xdb, 0xe3}
	fcw := func() []byte { // fldcw [rbx+0x1ff0]; fld1; fldpi
		return seq(x87zero, []byte{0xd9, 0xab, 0xf0, 0x1f, 0, 0, 0xd9, 0xe8, 0xd9, 0xeb})
	}
	rfbm := func(v uint32) []byte { return seq([]byte{0xb8}, le32(v), []byte{0x31, 0xd2}) } // mov eax, v; xor edx, edx
	type xcase struct {
		name string
		code []byte
		prep func(img []byte)
	}
	var cases []xcase
	for _, x := range []struct {
		name string
		op   []byte
	}{
		{"xsave", []byte{0x0f, 0xae, 0x23}}, {"xsave64", []byte{0x48, 0x0f, 0xae, 0x23}},
		{"xsaveopt", []byte{0x0f, 0xae, 0x33}}, {"xsavec", []byte{0x0f, 0xc7, 0x23}},
		{"xsavec64", []byte{0x48, 0x0f, 0xc7, 0x23}},
	} {
		for _, r := range []uint32{7, 1, 2, 3, 4, 6} {
			cases = append(cases, xcase{name: fmt.Sprintf("%s-%#x", x.name, r), code: seq(ymmFill(), fcw(), rfbm(r), x.op, []byte{0xdb, 0xe3})})
		}
	}
	// xrstor of a random valid image, then xsave of everything to
	// [rbx+0x1000].
	xrstorImage := func(compact bool) func(img []byte) {
		return func(img []byte) {
			put := func(off int, v uint64, n int) {
				for i := 0; i < n; i++ {
					img[off+i] = byte(v >> (8 * i))
				}
			}
			put(6, 0, 2)  // FOP
			put(8, 0, 16) // FIP, FDP
			put(24, uint64(0x1f80|rng.Uint32()&0xffbf&0xffff), 4)
			bv := uint64(rng.IntN(8))
			put(512, bv, 8)
			put(520, 0, 56)
			if compact {
				put(520, 1<<63|bv|uint64(rng.IntN(8)), 8)
			}
			put(0, uint64(0x37f&^0x3f|rng.IntN(0x40)), 2) // FCW, exceptions masked or not
		}
	}
	for _, compact := range []bool{false, true} {
		for _, r := range []uint32{7, 1, 2, 4, 5, 6} {
			name := "xrstor"
			if compact {
				name = "xrstor-compact"
			}
			// mov eax, r; xor edx, edx; xrstor [rbx]; mov eax, 7; xsave [rbx+0x1000]; fninit
			cases = append(cases, xcase{name: fmt.Sprintf("%s-%#x", name, r), prep: xrstorImage(compact),
				code: seq(ymmFill(), x87zero, rfbm(r), []byte{0x0f, 0xae, 0x2b}, rfbm(7), []byte{0x0f, 0xae, 0xa3, 0, 0x10, 0, 0, 0xdb, 0xe3})})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := vexHarness(tc.code)
			copy(guestBytes(code, uint64(len(h))), h)
			e.load(seq(tc.code, []byte{0xcc}))
			for it := 0; it < 40; it++ {
				img := make([]byte, xsBuf)
				for i := range img {
					img[i] = byte(rng.Uint32())
				}
				img[0x1ff0], img[0x1ff1] = 0x7f, 0x02 // FCW 0x27f
				if tc.prep != nil {
					tc.prep(img)
				}
				var y [4][4]uint64
				for i := range y {
					for j := range y[i] {
						y[i][j] = rng.Uint64()
					}
				}
				var regs [16]uint64
				regs[cpu.RBX] = buf
				mx := uint32(0x1f80) | rng.Uint32()&0x6000
				// Native run.
				st := guestBytes(state, nsSize)
				for r := 0; r < 16; r++ {
					copy(st[8*r:], le64(regs[r]))
				}
				copy(st[nsFlags:], le64(cpu.FlagR1|cpu.FlagIF))
				for i := range y {
					for j := range y[i] {
						copy(st[nvYmm+32*i+8*j:], le64(y[i][j]))
					}
				}
				copy(st[nsMxcsr:], le64(uint64(mx))[:4])
				copy(st[nsMxcsrGo:], le64(0x1f80)[:4])
				mem := guestBytes(buf, xsBuf)
				copy(mem, img)
				nativeCall(uintptr(code), uintptr(state))
				want := append([]byte(nil), mem...)
				var wantY [4][4]uint64
				for i := range wantY {
					for j := range wantY[i] {
						wantY[i][j] = load64(state + nvYmm + uint64(32*i+8*j))
					}
				}
				wantMx := uint32(load64(state + nsMxcsr))
				// Interpreted run.
				copy(mem, img)
				e.c.Regs = regs
				e.c.Regs[cpu.RSP] = e.base + envSize - 64
				e.c.X = [16][4]uint64{}
				for i := range y {
					e.c.X[i] = y[i]
				}
				e.c.MXCSR = mx
				e.c.FCW, e.c.FSW, e.c.FTOP, e.c.FTAG = 0x37f, 0, 0, 0
				e.c.RIP = e.base
				if ex := e.m.Run(e.c); ex.Signal != unix.SIGTRAP {
					t.Fatalf("interpreter stopped with %+v", ex)
				}
				var gotY [4][4]uint64
				copy(gotY[:], e.c.X[:4])
				if gotY != wantY || e.c.MXCSR != wantMx {
					t.Fatalf("ymm0-3 %#x mxcsr %#x, want %#x mxcsr %#x", gotY, e.c.MXCSR, wantY, wantMx)
				}
				// XSTATE_BV: minemu counts every component as in use
				// (XINUSE all ones), the host clears the bits of the
				// components in their initial configuration.
				for _, off := range []int{0, 0x1000} {
					got, w := le64At(mem, off+512), le64At(want, off+512)
					if got&^7 != w&^7 || w&7&^got != 0 {
						t.Fatalf("XSTATE_BV at %#x: got %#x, want %#x (or more of the bits 0-2)", off, got, w)
					}
					copy(mem[off+512:off+520], want[off+512:off+520])
				}
				for i := range want {
					if mem[i] != want[i] {
						lo := i &^ 15
						t.Fatalf("image byte %d: got % x, want % x", i, mem[lo:lo+16], want[lo:lo+16])
					}
				}
			}
		})
	}
}

// TestXsaveFaults: a misaligned area, header bits outside XCR0, reserved
// header bytes, a compacted header whose XSTATE_BV is not within
// XCOMP_BV, and a reserved MXCSR bit are #GP (SIGSEGV) and change
// nothing; xgetbv with ECX 0 reads the model's XCR0 and with any other
// ECX is #GP; without XSAVE in the model the instructions are invalid.
func TestXsaveFaults(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		md := xsaveModel(t, mode == mm.Mode64)
		for _, tc := range []struct {
			name   string
			code   []byte
			off    uint64
			setup  func(img []byte)
			status int
		}{
			{"xsave-aligned", []byte{0x0f, 0xae, 0x23}, 0, nil, 133},
			{"xsave-misaligned", []byte{0x0f, 0xae, 0x23}, 16, nil, 139},
			{"xrstor-ok", []byte{0x0f, 0xae, 0x2b}, 0, nil, 133},
			{"xrstor-misaligned", []byte{0x0f, 0xae, 0x2b}, 32, nil, 139},
			{"xrstor-bv-beyond-xcr0", []byte{0x0f, 0xae, 0x2b}, 0, func(img []byte) { img[512] = 0x08 }, 139},
			{"xrstor-xcomp-reserved", []byte{0x0f, 0xae, 0x2b}, 0, func(img []byte) { img[520] = 1 }, 139},
			{"xrstor-header-reserved", []byte{0x0f, 0xae, 0x2b}, 0, func(img []byte) { img[530] = 1 }, 139},
			{"xrstor-compact-bv-not-in-xcomp", []byte{0x0f, 0xae, 0x2b}, 0, func(img []byte) { img[512], img[520], img[527] = 6, 2, 0x80 }, 139},
			{"xrstor-compact-ok", []byte{0x0f, 0xae, 0x2b}, 0, func(img []byte) { img[512], img[520], img[527] = 6, 7, 0x80 }, 133},
			{"xrstor-mxcsr-reserved", []byte{0x0f, 0xae, 0x2b}, 0, func(img []byte) { img[24+2] = 1 }, 139},
			{"xgetbv-2", []byte{0xb9, 2, 0, 0, 0, 0x0f, 0x01, 0xd0}, 0, nil, 139},
		} {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				e := newEnvModel(t, mode, md)
				e.load(seq(tc.code, []byte{0xcc}))
				img := guestBytes(e.data(), 1024)
				for i := range img {
					img[i] = 0
				}
				img[24], img[25] = 0x80, 0x1f // MXCSR 0x1f80
				if tc.setup != nil {
					tc.setup(img)
				}
				e.c.Regs[cpu.RBX] = e.data() + tc.off
				e.c.Regs[cpu.RAX] = 7
				e.c.X[0] = [4]uint64{1, 2, 3, 4}
				ex := e.m.Run(e.c)
				if ex.Status() != tc.status {
					t.Fatalf("status %d (%+v), want %d", ex.Status(), ex, tc.status)
				}
				if tc.status != 133 && e.c.X[0] != [4]uint64{1, 2, 3, 4} {
					t.Fatalf("ymm0 %#x changed by a faulting xrstor", e.c.X[0])
				}
			})
		}
		for _, ecx := range []byte{0, 1} {
			// xgetbv 1 is XCR0 & XINUSE: XCR0, every component counting
			// as in use.
			t.Run(fmt.Sprintf("%v/xgetbv-%d", mode, ecx), func(t *testing.T) {
				if ecx == 1 && !md.Features().Has(cpuid.XGETBV1) {
					t.Fatal("the host lacks XGETBV1")
				}
				e := newEnvModel(t, mode, md)
				e.load([]byte{0xb9, ecx, 0, 0, 0, 0x0f, 0x01, 0xd0, 0xcc}) // mov ecx, n; xgetbv
				e.c.Regs[cpu.RAX], e.c.Regs[cpu.RDX] = ^uint64(0)>>32, ^uint64(0)>>32
				e.runTrap()
				if got := e.c.Regs[cpu.RDX]<<32 | e.c.Regs[cpu.RAX]; got != md.XCR0() {
					t.Fatalf("got %#x, want XCR0 %#x", got, md.XCR0())
				}
			})
		}
		t.Run(mode.String()+"/no-xsave", func(t *testing.T) {
			v2, err := cpuid.NewHost(cpuid.Config{Level: cpuid.V2, Implemented: cpuid.All, Mode64: mode == mm.Mode64})
			if err != nil {
				t.Fatal(err)
			}
			for _, code := range [][]byte{{0x0f, 0xae, 0x23, 0xcc}, {0x31, 0xc9, 0x0f, 0x01, 0xd0, 0xcc}} {
				e := newEnvModel(t, mode, v2)
				e.load(code)
				e.c.Regs[cpu.RBX] = e.data()
				if ex := e.m.Run(e.c); ex.Status() != 132 {
					t.Fatalf("% x: status %d (%+v), want 132 (SIGILL)", code, ex.Status(), ex)
				}
			}
		})
	}
}

// TestXsave32: in a 32-bit guest the image holds xmm0-7 and the upper
// halves of ymm0-7 only; xrstor brings them back and leaves ymm8-15.
func TestXsave32(t *testing.T) {
	md := xsaveModel(t, false)
	e := newEnvModel(t, mm.Mode32, md)
	// mov eax, 7; xor edx, edx; xsave [ebx]; vzeroall; xrstor [ebx]
	e.load([]byte{0xb8, 7, 0, 0, 0, 0x31, 0xd2, 0x0f, 0xae, 0x23, 0xc5, 0xfc, 0x77, 0x0f, 0xae, 0x2b, 0xcc})
	e.c.Regs[cpu.RBX] = e.data()
	img := guestBytes(e.data(), 1024)
	for i := range img {
		img[i] = 0xaa
	}
	for i := 512; i < 576; i++ {
		img[i] = 0 // a valid header
	}
	var want [16][4]uint64
	for i := range want {
		for j := range want[i] {
			want[i][j] = uint64(i)<<8 | uint64(j)
		}
	}
	e.c.X = want
	e.runTrap()
	if e.c.X != want {
		t.Fatalf("after xsave, vzeroall, xrstor: %#x, want %#x", e.c.X, want)
	}
	for i := 0; i < 8; i++ {
		if got := load64(e.data() + 576 + 16*uint64(i)); got != want[i][2] {
			t.Fatalf("AVX region of ymm%d: got %#x, want %#x", i, got, want[i][2])
		}
	}
	if got := load64(e.data() + 576 + 16*8); got != 0xaaaaaaaaaaaaaaaa {
		t.Fatalf("AVX region past ymm7 written: %#x", got)
	}
}

func le64At(b []byte, off int) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[off+i])
	}
	return v
}
