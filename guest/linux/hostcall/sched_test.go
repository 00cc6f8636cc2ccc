package hostcall

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"
)

// TestSysinfoScaled: a machine with more memory than i386's 32-bit fields
// hold gets a larger mem_unit, as compat_sysinfo gives it.
func TestSysinfoScaled(t *testing.T) {
	// A machine with 16 GiB in bytes (unit 1) is scaled for i386 to a
	// page-sized unit, as compat_sysinfo does.
	si := unix.Sysinfo_t{Totalram: 16 << 30, Freeram: 8 << 30, Unit: 1, Procs: 7}
	var b [sizeofSysinfoAMD64]byte
	if n := encodeSysinfo(cpu.ABIi386, &si, &b); n != sizeofSysinfoI386 {
		t.Fatalf("i386 sysinfo size %d", n)
	}
	if tot, free, unit := le.Uint32(b[16:]), le.Uint32(b[20:]), le.Uint32(b[52:]); unit != 4096 || tot != 4<<20 || free != 2<<20 {
		t.Fatalf("scaled sysinfo: total %d free %d unit %d", tot, free, unit)
	}
	if le.Uint16(b[40:]) != 7 {
		t.Fatalf("procs %d", le.Uint16(b[40:]))
	}
}
