package interp

import (
	"sync"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa/cpuid"
	"github.com/minemu/minemu/mm"
)

// Features is what the interpreter executes completely in a guest of the
// given mode: the single source of truth for the CPUID it answers and for
// `minemu info --cpu`. The VEX encodings are implemented (AVX, AVX2, FMA3,
// F16C), with the XSAVE family over x87, SSE and AVX state (XSAVEOPT,
// XSAVEC and XGETBV1 included); AVX-512 is not.
func Features(mode64 bool) cpuid.Features {
	f := cpuid.FPU | cpuid.TSC | cpuid.CX8 | cpuid.CMOV | cpuid.MMX | cpuid.POPCNT | cpuid.LAHF | cpuid.LZCNT |
		cpuid.FXSR | cpuid.SSE | cpuid.SSE2 | cpuid.SSE3 | cpuid.SSSE3 | cpuid.SSE41 | cpuid.SSE42 |
		cpuid.AES | cpuid.PCLMULQDQ | cpuid.SHA | cpuid.RDRAND | cpuid.RDTSCP | cpuid.MOVBE |
		cpuid.XSAVE | cpuid.XSAVEOPT | cpuid.XSAVEC | cpuid.XGETBV1 | cpuid.AVX | cpuid.AVX2 | cpuid.FMA | cpuid.F16C |
		cpuid.BMI1 | cpuid.BMI2 | cpuid.ADX | cpuid.RDSEED | cpuid.RDPID
	if mode64 {
		f |= cpuid.CX16 | cpuid.SYSCALL | cpuid.LM | cpuid.FSGSBASE
	}
	return f
}

// DefaultLevel is the level `minemu run` models when --cpu is not given:
// the highest level whose features are implemented on this host.
func DefaultLevel(mode64 bool) cpuid.Level {
	l, _ := cpuid.Highest(Features(mode64), cpuid.HostCPU(), mode64)
	return l
}

// NewModel builds the CPU model of a guest of the given mode at level
// (0: DefaultLevel).
func NewModel(level cpuid.Level, mode64 bool) (*cpuid.Model, error) {
	if level == 0 {
		level = DefaultLevel(mode64)
	}
	return cpuid.NewHost(cpuid.Config{Level: level, Implemented: Features(mode64), Mode64: mode64})
}

// defaultModels are the models of processes built without Config.CPU
// (tests), one per mode, built on first use.
var defaultModels [2]struct {
	once sync.Once
	m    *cpuid.Model
}

// model is the process's CPU model, or the default one of its mode.
func (m *machine) model() *cpuid.Model {
	if md := m.p.CPU(); md != nil {
		return md
	}
	i := 0
	if m.mode == mm.Mode64 {
		i = 1
	}
	d := &defaultModels[i]
	d.once.Do(func() {
		md, err := NewModel(0, i == 1)
		if err != nil {
			panic("interp: cannot build the default CPU model: " + err.Error())
		}
		d.m = md
	})
	return d.m
}

// cpuidOp answers CPUID from the model; the upper halves of the four
// registers are cleared.
func (m *machine) cpuidOp(c *cpu.CPU) {
	a, b, cx, d := m.model().CPUID(uint32(c.Regs[cpu.RAX]), uint32(c.Regs[cpu.RCX]))
	c.Regs[cpu.RAX], c.Regs[cpu.RBX], c.Regs[cpu.RCX], c.Regs[cpu.RDX] = uint64(a), uint64(b), uint64(cx), uint64(d)
}
