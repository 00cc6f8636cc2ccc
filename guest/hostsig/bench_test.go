//go:build linux && amd64

package hostsig

import (
	"os"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// onBenchThread runs f on a registered, locked thread.
func onBenchThread(b *testing.B, f func(th *Thread)) {
	b.Helper()
	onThread(b, f)
}

// BenchmarkSyscall/safe vs /plain: the safe system call's cost over
// syscall.Syscall for a call that does nothing (getppid); /raw without the
// scheduler hand-off.
func BenchmarkSyscall(b *testing.B) {
	b.Run("safe", func(b *testing.B) {
		b.ReportAllocs()
		onBenchThread(b, func(th *Thread) {
			for i := 0; i < b.N; i++ {
				th.Syscall6(unix.SYS_GETPPID, 0, 0, 0, 0, 0, 0)
			}
		})
	})
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		onBenchThread(b, func(th *Thread) {
			for i := 0; i < b.N; i++ {
				syscall.Syscall(unix.SYS_GETPPID, 0, 0, 0)
			}
		})
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		onBenchThread(b, func(th *Thread) {
			for i := 0; i < b.N; i++ {
				syscall.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
			}
		})
	})
}

// BenchmarkFault: one fault round trip. /accessor: a Go accessor faults,
// the handler records, Go panics, the recover takes the record;
// /accessor-unregistered is the same without a context block (Go's cost
// alone); /generated: generated code faults and resumes at its fault exit.
func BenchmarkFault(b *testing.B) {
	b.Run("accessor", func(b *testing.B) {
		b.ReportAllocs()
		onBenchThread(b, func(th *Thread) {
			for i := 0; i < b.N; i++ {
				probe(func() { accLoad64(0x10) })
				if _, ok := th.TakeFault(); !ok {
					b.Fatal("no fault")
				}
			}
		})
	})
	b.Run("accessor-unregistered", func(b *testing.B) {
		b.ReportAllocs()
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for i := 0; i < b.N; i++ {
				probe(func() { accLoad64(0x10) })
			}
			close(done)
		}()
		<-done
	})
	b.Run("generated", func(b *testing.B) {
		b.ReportAllocs()
		cp := newCodePage(b)
		entry := cp.entry("load")
		onBenchThread(b, func(th *Thread) {
			for i := 0; i < b.N; i++ {
				if enterCode(th.Block(), entry, 0x20) != faultExited {
					b.Fatal("no fault exit")
				}
			}
		})
	})
}

// BenchmarkGuestSignal: tgkill to the thread itself, recorded by the
// handler, taken by the engine.
func BenchmarkGuestSignal(b *testing.B) {
	b.ReportAllocs()
	pid := os.Getpid()
	onBenchThread(b, func(th *Thread) {
		tid := th.Tid()
		for i := 0; i < b.N; i++ {
			unix.Tgkill(pid, tid, unix.SIGUSR1)
			if _, ok := th.TakePending(SigsetOf(SIGUSR1)); !ok {
				b.Fatal("not recorded")
			}
		}
	})
}
