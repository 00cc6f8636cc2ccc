package vec

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// An encoding in the SDM's opcode-column style:
//
//	"66 0F 38 40"            legacy: prefixes, REX.W, 0F, map bytes, opcode
//	"66 REX.W 0F 3A 16"
//	"VEX.256.66.0F38.W0 36"  VEX: L (128/256/LZ/LIG), pp, map, W (W0/W1/WIG)
type encoding struct {
	vex    bool
	l      byte // VEX.L
	pp     byte // 0 none, 1 66, 2 F3, 3 F2
	mmmmm  byte // 1 0F, 2 0F38, 3 0F3A
	w      bool
	prefix []byte // legacy prefixes
	opmap  []byte // legacy: 0F [38|3A]
	op     byte
}

func parseEncoding(s string) encoding {
	var e encoding
	f := strings.Fields(s)
	if strings.HasPrefix(f[0], "VEX.") {
		e.vex = true
		for _, p := range strings.Split(f[0], ".")[1:] {
			switch p {
			case "128", "LZ", "LIG", "L0":
			case "256", "L1":
				e.l = 1
			case "66":
				e.pp = 1
			case "F3":
				e.pp = 2
			case "F2":
				e.pp = 3
			case "0F":
				e.mmmmm = 1
			case "0F38":
				e.mmmmm = 2
			case "0F3A":
				e.mmmmm = 3
			case "W1":
				e.w = true
			case "W0", "WIG", "NDS", "NDD", "DDS":
			default:
				panic("bad VEX field " + p + " in " + s)
			}
		}
		e.op = hexByte(f[1])
		return e
	}
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == "REX.W":
			e.w = true
		case f[i] == "0F":
			e.opmap = append(e.opmap, 0x0F)
			if i+2 < len(f) && (f[i+1] == "38" || f[i+1] == "3A") {
				e.opmap = append(e.opmap, hexByte(f[i+1]))
				i++
			}
			e.op = hexByte(f[i+1])
			if i+2 != len(f) {
				panic("trailing fields in " + s)
			}
			return e
		default:
			e.prefix = append(e.prefix, hexByte(f[i]))
		}
	}
	// No 0F: a one-byte opcode.
	e.op = e.prefix[len(e.prefix)-1]
	e.prefix = e.prefix[:len(e.prefix)-1]
	return e
}

func hexByte(s string) byte {
	v, err := strconv.ParseUint(s, 16, 8)
	if err != nil {
		panic(err)
	}
	return byte(v)
}

// encode builds the register-register form with ModRM.reg = reg,
// VEX.vvvv = vvvv, ModRM.rm = rm (all below 8) and the given immediate bytes.
func (e encoding) encode(reg, vvvv, rm int, imm ...byte) []byte {
	var b []byte
	if e.vex {
		b = append(b, 0xC4, 0xE0|e.mmmmm)
		w := byte(0)
		if e.w {
			w = 0x80
		}
		b = append(b, w|byte(^vvvv&15)<<3|e.l<<2|e.pp)
	} else {
		b = append(b, e.prefix...)
		if e.w {
			b = append(b, 0x48)
		}
		b = append(b, e.opmap...)
	}
	b = append(b, e.op, 0xC0|byte(reg)<<3|byte(rm))
	return append(b, imm...)
}

// jit is one executable page holding the instruction under test.
type jit struct{ page []byte }

func newJIT(t testing.TB) *jit {
	p, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE|syscall.PROT_EXEC, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(p) })
	return &jit{page: p}
}

// run executes code (one instruction) on s. With the #XM catcher
// installed (catchXM), an instruction that raises an unmasked SIMD
// floating-point exception leaves its destination unwritten and sets
// s.Trapped and s.MXCSR as the fault left them.
func (j *jit) run(code []byte, s *hostState) {
	n := copy(j.page, code)
	j.page[n] = 0xC3
	trapFlag = 0
	hostCall(&j.page[0], uintptr(n), s)
	if trapFlag != 0 {
		s.Trapped = 1
		s.MXCSR = trapMXCSR
	}
}

// catchXM installs the SIGFPE catcher for the rest of the test.
func catchXM(t testing.TB) {
	const saSiginfo, saOnstack, saRestorer = 4, 0x08000000, 0x04000000
	act := sigaction{handler: trapHandlerAddr(), flags: saSiginfo | saOnstack | saRestorer, restorer: trapRestorerAddr()}
	var old sigaction
	if e := rtSigaction(uintptr(syscall.SIGFPE), &act, &old); e != 0 {
		t.Fatalf("rt_sigaction: %d", int64(e))
	}
	t.Cleanup(func() { rtSigaction(uintptr(syscall.SIGFPE), &old, nil) })
}

func (s *hostState) String() string {
	var b strings.Builder
	for i := range s.Y {
		fmt.Fprintf(&b, "ymm%d=%016x_%016x_%016x_%016x ", i, s.Y[i][3], s.Y[i][2], s.Y[i][1], s.Y[i][0])
	}
	fmt.Fprintf(&b, "\n  gpr=%x flags=%#x mxcsr=%#x", s.G, s.Flags&0x8d5, s.MXCSR)
	return b.String()
}

func TestHostCallRuns(t *testing.T) {
	j := newJIT(t)
	s := hostState{MXCSR: 0x1f80}
	s.Y[0] = [4]uint64{1, 2, 3, 4}
	s.Y[1] = [4]uint64{10, 20, 30, 40}
	j.run(parseEncoding("66 0F D4").encode(0, 0, 1), &s) // paddq xmm0, xmm1
	if s.Y[0] != [4]uint64{11, 22, 3, 4} {
		t.Fatalf("got %x", s.Y[0])
	}
	s.G[1] = 0xff
	j.run(parseEncoding("F3 REX.W 0F B8").encode(0, 0, 1), &s) // popcnt rax, rcx
	if s.G[0] != 8 {
		t.Fatalf("popcnt: got %d", s.G[0])
	}
}
