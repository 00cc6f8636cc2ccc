package tests

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// auxvCompare says how TestAuxvAsKernel compares an auxv entry of the
// native run (the kernel's, randomisation off) with minemu's.
type auxvCompare int

const (
	// auxvEqual: the same value (addresses of the program, ids, strings).
	auxvEqual auxvCompare = iota
	// auxvSet: present in both; the value is minemu's own (the CPU
	// model's HWCAP bits, the interpreter's base below minemu's
	// trampoline page, the stack's random bytes, the signal frame size
	// of the features minemu reports).
	auxvSet
	// auxvNativeOnly: the kernel's alone (the vDSO, rseq): minemu maps
	// no vDSO and has no rseq.
	auxvNativeOnly
)

var auxvRules = map[string]auxvCompare{
	"AT_SYSINFO": auxvNativeOnly, "AT_SYSINFO_EHDR": auxvNativeOnly, "AT_MINSIGSTKSZ": auxvSet,
	"AT_??? (0x1b)": auxvNativeOnly, "AT_??? (0x1c)": auxvNativeOnly,
	"AT_HWCAP": auxvSet, "AT_HWCAP2": auxvSet, "AT_BASE": auxvSet, "AT_RANDOM": auxvSet,
	"AT_PAGESZ": auxvEqual, "AT_CLKTCK": auxvEqual, "AT_PHDR": auxvEqual, "AT_PHENT": auxvEqual,
	"AT_PHNUM": auxvEqual, "AT_FLAGS": auxvEqual, "AT_ENTRY": auxvEqual, "AT_UID": auxvEqual,
	"AT_EUID": auxvEqual, "AT_GID": auxvEqual, "AT_EGID": auxvEqual, "AT_SECURE": auxvEqual,
	"AT_EXECFN": auxvEqual, "AT_PLATFORM": auxvEqual,
}

// showAuxv runs cmd and parses the auxiliary vector glibc's ld.so prints
// for LD_SHOW_AUXV=1: the last block (a dynamically linked minemu's own
// ld.so prints minemu's first), as names and values in order.
func showAuxv(t *testing.T, cmd *exec.Cmd) (keys []string, vals map[string]string) {
	t.Helper()
	out, _ := cmd.Output()
	lines := strings.Split(string(out), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "AT_HWCAP:") {
			start = i
		}
	}
	if start < 0 {
		t.Fatalf("%v printed no auxv:\n%s", cmd.Args, out)
	}
	// Entries before AT_HWCAP (AT_SYSINFO, AT_SYSINFO_EHDR,
	// AT_MINSIGSTKSZ) belong to the same block.
	for start > 0 && strings.HasPrefix(lines[start-1], "AT_") && !strings.HasPrefix(lines[start-1], "AT_PLATFORM:") &&
		!strings.HasPrefix(lines[start-1], "AT_??? (0x1c)") {
		start--
	}
	vals = map[string]string{}
	for _, l := range lines[start:] {
		if !strings.HasPrefix(l, "AT_") {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		keys = append(keys, k)
		vals[k] = strings.TrimSpace(v)
	}
	return keys, vals
}

// TestAuxvAsKernel compares the auxiliary vector of dynamically linked
// guests under minemu with the kernel's for the same program run natively
// with randomisation off (setarch -R), as the guest's own ld.so prints it
// (LD_SHOW_AUXV): the same entries in the same order but the kernel's
// vDSO and rseq ones, the same program addresses (AT_PHDR, AT_ENTRY of a
// PIE at the kernel's base, of a non-PIE at its link address), ids and
// strings.
func TestAuxvAsKernel(t *testing.T) {
	for _, bin := range []string{"libc-dyn-glibc-i386", "libc-dyn-nopie-glibc-i386", "libc-dyn-glibc-x86_64"} {
		t.Run(bin, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			env := append(guestEnv(t), "LD_SHOW_AUXV=1")
			native := exec.CommandContext(ctx, "setarch", "-R", "./bin/"+bin, "hello")
			native.Dir, native.Env = guestDir, env
			nk, nv := showAuxv(t, native)
			// The x86-64 guest's ld.so prints its auxv before it checks
			// the CPU's ISA level: this compares even while that check
			// fails.
			cmd := command(ctx, "minemu", bin, []string{"hello"})
			cmd.Env = env
			mk, mv := showAuxv(t, cmd)
			var common []string
			for _, k := range nk {
				rule, known := auxvRules[k]
				if !known {
					t.Fatalf("the kernel gives %s = %s, which the table does not know", k, nv[k])
				}
				got, ok := mv[k]
				switch {
				case rule == auxvNativeOnly:
					if ok {
						t.Fatalf("%s = %s under minemu, want it absent", k, got)
					}
					continue
				case !ok:
					t.Fatalf("%s missing under minemu (kernel: %s)", k, nv[k])
				case rule == auxvEqual && got != nv[k]:
					t.Fatalf("%s: got %s, want %s", k, got, nv[k])
				}
				common = append(common, k)
			}
			if strings.Join(common, " ") != strings.Join(mk, " ") {
				t.Fatalf("minemu's auxv has %v, want %v in that order", mk, common)
			}
			if mv["AT_BASE"] == "0x0" {
				t.Fatalf("AT_BASE is 0 for a dynamically linked program")
			}
		})
	}
}

// sysrootGuest writes a copy of the committed guest bin whose PT_INTERP
// names interp (of the same length as the original) into dir.
func sysrootGuest(t *testing.T, dir, bin, oldInterp, interp string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(guestDir, "bin", bin))
	if err != nil {
		t.Fatal(err)
	}
	if len(interp) != len(oldInterp) || bytes.Count(b, []byte(oldInterp+"\x00")) != 1 {
		t.Fatalf("%s: cannot replace its interpreter %s by %s", bin, oldInterp, interp)
	}
	p := filepath.Join(dir, bin)
	if err := os.WriteFile(p, bytes.Replace(b, []byte(oldInterp+"\x00"), []byte(interp+"\x00"), 1), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyFile copies src to dst, creating dst's directory.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestSysroot runs a dynamically linked i386 guest whose interpreter and
// library exist only in a sysroot: its PT_INTERP names /mnm/ld-linux.so.2,
// which no host has, and it needs the test library libdynlib-i386.so,
// which only the sysroot's library directories hold. With --sysroot (or
// MINEMU_SYSROOT) the interpreter is the sysroot's and the guest's ld.so
// finds the library there through the guest's own opens; the output is
// the native run's (golden/dynneeded-glibc-i386, natively found through
// LD_LIBRARY_PATH). Without the sysroot minemu names the missing
// interpreter; with a sysroot that lacks the library, the guest's ld.so
// says so and exits 127, as natively.
func TestSysroot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "sysroot")
	guest := sysrootGuest(t, dir, "dynneeded-glibc-i386", "/lib/ld-linux.so.2", "/mnm/ld-linux.so.2")
	ld, err := filepath.EvalSymlinks("/lib/ld-linux.so.2")
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, ld, filepath.Join(root, "mnm/ld-linux.so.2"))
	bare := filepath.Join(dir, "bare")
	copyFile(t, ld, filepath.Join(bare, "mnm/ld-linux.so.2"))
	// The system directories of Debian's libc6:i386 ld.so and of
	// libc6-i386's (the multilib one on an x86-64 host).
	for _, d := range []string{"lib/i386-linux-gnu", "lib32", "lib"} {
		copyFile(t, filepath.Join(guestDir, "bin", "libdynlib-i386.so"), filepath.Join(root, d, "libdynlib-i386.so"))
	}
	wantOut, wantStatus := golden(t, "dynneeded-glibc-i386")

	for _, tc := range []struct {
		name       string
		flags, env []string
		status     int
		stdout     []byte
		stderr     string
	}{
		{"flag", []string{"--sysroot", root}, nil, wantStatus, wantOut, ""},
		{"environment", nil, []string{"MINEMU_SYSROOT=" + root}, wantStatus, wantOut, ""},
		{"none", nil, nil, 1, nil, "interpreter /mnm/ld-linux.so.2 not found"},
		{"no-library", []string{"--sysroot", bare}, nil, 127, nil, "libdynlib-i386.so: cannot open shared object file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, minemuBin, append(append([]string{"run"}, tc.flags...), guest)...)
			cmd.Env = append(guestEnv(t), tc.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status || !bytes.Equal(stdout.Bytes(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Fatalf("status %d stdout %q stderr %q; want %d, %q and a stderr containing %q",
					status, stdout.Bytes(), stderr.String(), tc.status, tc.stdout, tc.stderr)
			}
		})
	}
}
