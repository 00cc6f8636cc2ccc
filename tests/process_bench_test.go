package tests

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// benchProcess runs forkbench (arch) under run once with b.N iterations of
// the mode's loop and reports the time per iteration.
func benchProcess(b *testing.B, run, arch string, args func(n int) []string) {
	if run == "qemu" {
		if _, err := exec.LookPath("qemu-" + arch); err != nil {
			b.Skip("qemu-user not installed")
		}
	}
	c := guestCase{name: "forkbench-" + arch, bin: "forkbench-" + arch, args: args(b.N)}
	b.ResetTimer()
	start := time.Now()
	r := runGuest(b, run, c)
	el := time.Since(start)
	if want := fmt.Sprintf("%d ok\n", b.N); r.status != 0 || !bytes.Equal(r.stdout, []byte(want)) {
		b.Fatalf("%s: status %d, stdout %q, want %q\nstderr:\n%s", run, r.status, r.stdout, want, r.stderr)
	}
	b.ReportMetric(float64(el.Nanoseconds())/float64(b.N), "ns/iteration")
}

// BenchmarkFork forks a guest with 10 MiB and with 200 MiB of touched
// memory whose children exit at once, under minemu, qemu-user and
// natively: go test ./tests -run XXX -bench Fork -benchtime 20x
func BenchmarkFork(b *testing.B) {
	for _, mib := range []int{10, 200} {
		for _, arch := range []string{"i386", "x86_64"} {
			for _, run := range []string{"minemu", "qemu", "native"} {
				b.Run(fmt.Sprintf("%dMiB-%s-%s", mib, run, arch), func(b *testing.B) {
					benchProcess(b, run, arch, func(n int) []string { return []string{"touch", strconv.Itoa(mib), strconv.Itoa(n)} })
				})
			}
		}
	}
}

// BenchmarkForkExecWait runs fork, exec of a static hello and wait in a
// loop: go test ./tests -run XXX -bench ForkExecWait -benchtime 1000x
func BenchmarkForkExecWait(b *testing.B) {
	for _, arch := range []string{"i386", "x86_64"} {
		for _, run := range []string{"minemu", "qemu", "native"} {
			b.Run(run+"-"+arch, func(b *testing.B) {
				benchProcess(b, run, arch, func(n int) []string { return []string{"spawn", strconv.Itoa(n), "./bin/hello-" + arch} })
			})
		}
	}
}
