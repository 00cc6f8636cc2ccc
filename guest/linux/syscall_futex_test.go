package linux

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/futex"
	"github.com/minemu/minemu/mm"
)

// putTimespec writes a timespec at a: the guest's old layout, or the
// 64-bit one.
func (e *sysEnv) putTimespec(a uint64, sec, nsec int64, wide bool) {
	if wide || e.abi == cpu.ABIAMD64 {
		le.PutUint64(e.view(a, 8), uint64(sec))
		le.PutUint64(e.view(a+8, 8), uint64(nsec))
		return
	}
	le.PutUint32(e.view(a, 4), uint32(sec))
	le.PutUint32(e.view(a+4, 4), uint32(nsec))
}

// TestFutexOps: each command goes to the host kernel on the guest's word,
// with the guest's timespec translated and every address checked first.
func TestFutexOps(t *testing.T) {
	const priv = futexPrivateFlag
	for _, ac := range abiCases {
		t.Run(ac.name, func(t *testing.T) {
			e := newSysEnv(t, ac.mode, ac.abi)
			w, w2, ts := e.mem, e.mem+64, e.mem+128
			word := func(a uint64) uint32 { return le.Uint32(e.view(a, 4)) }
			setWord := func(a uint64, v uint32) { le.PutUint32(e.view(a, 4), v) }
			e.putTimespec(ts, 0, 1e6, false)
			unmapped := e.unmappedPage()
			calls := []string{"futex"}
			if ac.abi == cpu.ABIi386 {
				calls = append(calls, "futex_time64")
			}
			for _, call := range calls {
				e.putTimespec(ts, 0, 1e6, call == "futex_time64")
				setWord(w, 5)
				for _, tc := range []struct {
					name string
					args []uint64
					want int64
				}{
					{"wait, value differs", []uint64{w, futexWait | priv, 4, 0}, errnoRet(unix.EAGAIN)},
					{"wait, times out", []uint64{w, futexWait | priv, 5, ts}, errnoRet(unix.ETIMEDOUT)},
					{"wait_bitset, realtime, deadline passed", []uint64{w, futexWaitBitset | priv | futexClockRealtime, 5, ts, 0, 0xffffffff}, errnoRet(unix.ETIMEDOUT)},
					{"wait, realtime flag", []uint64{w, futexWait | futexClockRealtime, 5, ts}, errnoRet(unix.ENOSYS)},
					{"wait, timeout unmapped", []uint64{w, futexWait | priv, 5, unmapped}, errnoRet(unix.EFAULT)},
					{"wait, misaligned", []uint64{w + 2, futexWait | priv, 5, ts}, errnoRet(unix.EINVAL)},
					{"wait, unmapped word", []uint64{unmapped, futexWait | priv, 5, ts}, errnoRet(unix.EFAULT)},
					{"wake, nobody waits", []uint64{w, futexWake | priv, 1}, 0},
					{"private wake of no guest memory", []uint64{unmapped, futexWake | priv, 1}, 0},
					{"shared wake of no guest memory", []uint64{unmapped, futexWake, 1}, errnoRet(unix.EFAULT)},
					{"cmp_requeue, value differs", []uint64{w, futexCmpRequeue | priv, 1, 1, w2, 4}, errnoRet(unix.EAGAIN)},
					{"cmp_requeue", []uint64{w, futexCmpRequeue | priv, 1, 1, w2, 5}, 0},
					{"requeue to no guest memory", []uint64{w, futexRequeue | priv, 1, 1, unmapped}, errnoRet(unix.EFAULT)},
					{"fd (removed)", []uint64{w, 2, 0}, errnoRet(unix.ENOSYS)},
					{"unknown command", []uint64{w, 99, 0}, errnoRet(unix.ENOSYS)},
				} {
					if r := e.sys(call, tc.args...); r != tc.want {
						t.Errorf("%s %s: got %d, want %d", call, tc.name, r, tc.want)
					}
				}
				// An invalid timespec is EINVAL.
				e.putTimespec(ts, 0, 2e9, call == "futex_time64")
				if r := e.sys(call, w, futexWait|priv, 5, ts); r != errnoRet(unix.EINVAL) {
					t.Errorf("%s with tv_nsec 2e9: got %d, want EINVAL", call, r)
				}
			}
			// wake_op: the kernel adds to the second word (FUTEX_OP_ADD 1,
			// compare always true) and reports the wakes.
			setWord(w2, 10)
			const opAdd, cmpEq = 1, 0
			op := uint64(opAdd<<28 | cmpEq<<24 | 3<<12 | 10)
			if r := e.sys("futex", w, futexWakeOp|priv, 1, 1, w2, op); r != 0 {
				t.Errorf("wake_op: got %d, want 0", r)
			}
			if got := word(w2); got != 13 {
				t.Errorf("wake_op: second word %d, want 13", got)
			}
			// PI: trylock takes a free word for the calling OS thread.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			setWord(w, 0)
			if r := e.sys("futex", w, futexTrylockPI|priv); r != 0 {
				t.Fatalf("trylock_pi: got %d, want 0", r)
			}
			if got, want := word(w), uint32(unix.Gettid()); got != want {
				t.Errorf("trylock_pi: word %d, want the thread's tid %d", got, want)
			}
			if r := e.sys("futex", w, futexUnlockPI|priv); r != 0 {
				t.Errorf("unlock_pi: got %d, want 0", r)
			}
			if got := word(w); got != 0 {
				t.Errorf("unlock_pi: word %d, want 0", got)
			}
		})
	}
}

// TestFutexWaitWoken: a wait blocks until another thread's wake, which
// reports one waiter woken.
func TestFutexWaitWoken(t *testing.T) {
	for _, ac := range abiCases {
		t.Run(ac.name, func(t *testing.T) {
			e := newSysEnv(t, ac.mode, ac.abi)
			w := e.mem
			le.PutUint32(e.view(w, 4), 1)
			child, err := e.k.NewThread(e.k.pid+200000, e.k.Main())
			if err != nil {
				t.Fatal(err)
			}
			defer child.Exit()
			done := make(chan int64)
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				done <- e.threadSys(child, cpu.NewCPU(ac.mode), "futex", w, futexWait|futexPrivateFlag, 1, 0)
			}()
			var woke int64
			for deadline := time.Now().Add(5 * time.Second); woke == 0; {
				if time.Now().After(deadline) {
					t.Fatal("the waiter never blocked")
				}
				time.Sleep(time.Millisecond)
				woke = e.sys("futex", w, futexWake|futexPrivateFlag, 1)
			}
			if woke != 1 {
				t.Fatalf("wake: got %d, want 1", woke)
			}
			if r := <-done; r != 0 {
				t.Fatalf("wait: got %d, want 0", r)
			}
		})
	}
}

// robustEntry lays out one robust list entry at a: its next pointer, and
// the futex word at a+8.
func (e *sysEnv) robustEntry(a, next uint64, word uint32) {
	if e.ptrSize() == 4 {
		le.PutUint32(e.view(a, 4), uint32(next))
	} else {
		le.PutUint64(e.view(a, 8), next)
	}
	le.PutUint32(e.view(a+8, 4), word)
}

// robustHead writes the list head at a (futex_offset 8) and registers it.
func (e *sysEnv) robustHead(a, next, pending uint64) {
	var h cRobustListHead
	h.Next, h.FutexOffset, h.ListOpPending = next, 8, pending
	var b [sizeofRobustListHeadMax]byte
	if e.abi == cpu.ABIi386 {
		copy(e.view(a, sizeofRobustListHeadI386), h.encodeI386(b[:]))
	} else {
		copy(e.view(a, sizeofRobustListHeadAMD64), h.encodeAMD64(b[:]))
	}
	if r := e.sys("set_robust_list", a, uint64(sizeofRobustListHead(e.abi))); r != 0 {
		e.t.Fatalf("set_robust_list = %d", r)
	}
}

// TestRobustListWalk: a dying thread's robust list, as the kernel walks
// it: words it owns become OWNER_DIED (WAITERS kept), others' stay; the
// pending entry is handled once; hostile lists (cycles, very long lists,
// pointers to unmapped memory or to memory that is not the guest's,
// misaligned words) end the walk without harm.
func TestRobustListWalk(t *testing.T) {
	for _, ac := range abiCases {
		t.Run(ac.name, func(t *testing.T) {
			e := newSysEnv(t, ac.mode, ac.abi)
			tid := uint32(e.k.pid)
			head, e1, e2, e3 := e.mem, e.mem+64, e.mem+128, e.mem+192
			word := func(entry uint64) uint32 { return le.Uint32(e.view(entry+8, 4)) }
			walk := func() int { return e.k.Main().exitRobustList(ac.abi) }

			// head -> e1 (owned, waiters) -> e2 (another's) -> e3 (owned,
			// also the pending op) -> head.
			e.robustEntry(e1, e2, tid|futex.Waiters)
			e.robustEntry(e2, e3, 12345)
			e.robustEntry(e3, head, tid)
			e.robustHead(head, e1, e3)
			if n := walk(); n != 3 {
				t.Errorf("walked %d entries, want 3", n)
			}
			for _, c := range []struct {
				name  string
				entry uint64
				want  uint32
			}{
				{"owned with waiters", e1, futex.Waiters | futex.OwnerDied},
				{"another thread's", e2, 12345},
				{"pending", e3, futex.OwnerDied},
			} {
				if got := word(c.entry); got != c.want {
					t.Errorf("%s: word %#x, want %#x", c.name, got, c.want)
				}
			}

			// A cycle that never reaches the head: bounded.
			e.robustEntry(e1, e2, tid)
			e.robustEntry(e2, e1, 0)
			e.robustHead(head, e1, 0)
			if n := walk(); n != futex.ListLimit {
				t.Errorf("cycle: walked %d entries, want the limit %d", n, futex.ListLimit)
			}
			if got := word(e1); got != futex.OwnerDied {
				t.Errorf("cycle: word %#x, want OWNER_DIED", got)
			}

			// A long list: 3000 entries, only ListLimit visited.
			const long = 3000
			base := e.mapPages(long*16/mm.PageSize+1, unix.PROT_READ|unix.PROT_WRITE)
			for i := uint64(0); i < long; i++ {
				next := base + (i+1)*16
				if i == long-1 {
					next = head
				}
				e.robustEntry(base+i*16, next, tid)
			}
			e.robustHead(head, base, 0)
			if n := walk(); n != futex.ListLimit {
				t.Errorf("long list: walked %d, want %d", n, futex.ListLimit)
			}
			if got := word(base + (futex.ListLimit-1)*16); got != futex.OwnerDied {
				t.Errorf("long list: last visited word %#x, want OWNER_DIED", got)
			}
			if got := word(base + futex.ListLimit*16); got != tid {
				t.Errorf("long list: word past the limit %#x, want untouched", got)
			}

			// A next pointer into unmapped memory ends the walk after the
			// entry; the pending entry is then not handled.
			unmapped := e.unmappedPage()
			e.robustEntry(e1, unmapped, tid)
			e.robustEntry(e3, head, tid)
			e.robustHead(head, e1, e3)
			if n := walk(); n != 1 {
				t.Errorf("unmapped next: walked %d, want 1", n)
			}
			if word(e1) != futex.OwnerDied || word(e3) != tid {
				t.Errorf("unmapped next: words %#x, %#x; want OWNER_DIED and untouched", word(e1), word(e3))
			}

			// A misaligned futex word stops the walk before it.
			e.robustEntry(e1, e2, tid)
			e.robustEntry(e2, head, tid)
			var h cRobustListHead
			h.Next, h.FutexOffset = e1, 9
			var b [sizeofRobustListHeadMax]byte
			if ac.abi == cpu.ABIi386 {
				copy(e.view(head, sizeofRobustListHeadI386), h.encodeI386(b[:]))
			} else {
				copy(e.view(head, sizeofRobustListHeadAMD64), h.encodeAMD64(b[:]))
			}
			if n := walk(); n != 0 || word(e1) != tid {
				t.Errorf("misaligned: walked %d, word %#x; want 0 and untouched", n, word(e1))
			}

			// An entry whose futex word is minemu's memory holding the
			// tid: never written (in Mode32 the pointer cannot even name
			// it; in Mode64 the guest-memory check refuses it).
			own := new([4]uint32)
			own[2] = tid
			if ac.mode == mm.Mode64 {
				e.robustEntry(e1, uint64(uintptrOf(own)), tid)
				e.robustHead(head, e1, 0)
				walk()
				if own[2] != tid {
					t.Errorf("minemu's memory changed: %#x", own[2])
				}
			}
			runtime.KeepAlive(own)
		})
	}
}

// TestExitClearsChildTID: a thread's exit clears its clear_child_tid word
// and wakes its waiter (what pthread_join waits for).
func TestExitClearsChildTID(t *testing.T) {
	for _, ac := range abiCases {
		t.Run(ac.name, func(t *testing.T) {
			e := newSysEnv(t, ac.mode, ac.abi)
			child, err := e.k.NewThread(e.k.pid+300000, e.k.Main())
			if err != nil {
				t.Fatal(err)
			}
			ctid := e.mem + 256
			le.PutUint32(e.view(ctid, 4), uint32(child.TID()))
			c := cpu.NewCPU(ac.mode)
			if r := e.threadSys(child, c, "set_tid_address", ctid); r != int64(child.TID()) {
				t.Fatalf("set_tid_address = %d", r)
			}
			var wg sync.WaitGroup
			wg.Add(1)
			var waited int64
			go func() {
				defer wg.Done()
				// A shared wait, as glibc's pthread_join; it returns at
				// once (EAGAIN) when the exit came first.
				waited = e.sys("futex", ctid, futexWait, uint64(child.TID()), 0)
			}()
			time.Sleep(20 * time.Millisecond)
			child.selfExit = true
			child.exitCleanup(ac.abi)
			wg.Wait()
			if got := le.Uint32(e.view(ctid, 4)); got != 0 {
				t.Errorf("clear_child_tid word %d, want 0", got)
			}
			if waited != 0 && waited != errnoRet(unix.EAGAIN) {
				t.Errorf("the waiter got %d, want 0 or EAGAIN", waited)
			}
		})
	}
}

// TestGetRobustList: the head set_robust_list registered comes back with
// its size, for the caller (pid 0) and by tid; a tid that is no guest
// thread is ESRCH.
func TestGetRobustList(t *testing.T) {
	for _, ac := range abiCases {
		t.Run(ac.name, func(t *testing.T) {
			e := newSysEnv(t, ac.mode, ac.abi)
			head, out := e.mem+64, e.mem+256
			size := uint64(sizeofRobustListHead(ac.abi))
			if r := e.sys("set_robust_list", head, size+1); r != errnoRet(unix.EINVAL) {
				t.Fatalf("set_robust_list with a wrong size = %d, want EINVAL", r)
			}
			if r := e.sys("set_robust_list", head, size); r != 0 {
				t.Fatalf("set_robust_list = %d", r)
			}
			word := func(a uint64) uint64 {
				if e.ptrSize() == 4 {
					return uint64(le.Uint32(e.view(a, 4)))
				}
				return le.Uint64(e.view(a, 8))
			}
			for _, pid := range []uint64{0, uint64(e.k.pid)} {
				if r := e.sys("get_robust_list", pid, out, out+8); r != 0 {
					t.Fatalf("get_robust_list(%d) = %d", pid, r)
				}
				if word(out) != head || word(out+8) != size {
					t.Errorf("get_robust_list(%d): %#x, %d; want %#x, %d", pid, word(out), word(out+8), head, size)
				}
			}
			if r := e.sys("get_robust_list", uint64(e.k.pid+400000), out, out+8); r != errnoRet(unix.ESRCH) {
				t.Errorf("get_robust_list of no thread = %d, want ESRCH", r)
			}
			if r := e.sys("get_robust_list", 0, e.unmappedPage(), out+8); r != errnoRet(unix.EFAULT) {
				t.Errorf("get_robust_list into unmapped memory = %d, want EFAULT", r)
			}
		})
	}
}

// TestFutex2: futex_wake, futex_wait, futex_waitv and futex_requeue reach
// the host kernel with every word checked (the futex_waitv array copied
// and checked entry by entry) and the 64-bit timespec read.
func TestFutex2(t *testing.T) {
	const u32, priv = 2, futexPrivateFlag
	for _, ac := range abiCases {
		t.Run(ac.name, func(t *testing.T) {
			e := newSysEnv(t, ac.mode, ac.abi)
			w, ts, v := e.mem, e.mem+64, e.mem+128
			le.PutUint32(e.view(w, 4), 5)
			e.putTimespec(ts, 0, 1, true) // CLOCK_MONOTONIC 1 ns after boot: passed
			unmapped := e.unmappedPage()
			waitv := func(a uint64, val, uaddr uint64, flags, reserved uint32) {
				le.PutUint64(e.view(a, 8), val)
				le.PutUint64(e.view(a+8, 8), uaddr)
				le.PutUint32(e.view(a+16, 4), flags)
				le.PutUint32(e.view(a+20, 4), reserved)
			}
			all := uint64(0xffffffff)
			for _, tc := range []struct {
				name  string
				call  string
				setup func()
				args  []uint64
				want  int64
			}{
				{"wake", "futex_wake", nil, []uint64{w, all, 1, u32 | priv}, 0},
				{"wake misaligned", "futex_wake", nil, []uint64{w + 2, all, 1, u32 | priv}, errnoRet(unix.EINVAL)},
				{"wake unmapped", "futex_wake", nil, []uint64{unmapped, all, 1, u32 | priv}, errnoRet(unix.EFAULT)},
				{"wake bad flags", "futex_wake", nil, []uint64{w, all, 1, u32 | 0x1000}, errnoRet(unix.EINVAL)},
				{"wait, value differs", "futex_wait", nil, []uint64{w, 4, all, u32 | priv, 0, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.EAGAIN)},
				{"wait, deadline passed", "futex_wait", nil, []uint64{w, 5, all, u32 | priv, ts, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.ETIMEDOUT)},
				{"wait, timeout unmapped", "futex_wait", nil, []uint64{w, 5, all, u32 | priv, unmapped, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.EFAULT)},
				{"waitv, value differs", "futex_waitv", func() { waitv(v, 4, w, u32|priv, 0) }, []uint64{v, 1, 0, 0, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.EAGAIN)},
				{"waitv, deadline passed", "futex_waitv", func() { waitv(v, 5, w, u32|priv, 0) }, []uint64{v, 1, 0, ts, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.ETIMEDOUT)},
				{"waitv, word unmapped", "futex_waitv", func() { waitv(v, 5, unmapped, u32|priv, 0) }, []uint64{v, 1, 0, 0, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.EFAULT)},
				{"waitv, reserved set", "futex_waitv", func() { waitv(v, 5, w, u32|priv, 1) }, []uint64{v, 1, 0, 0, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.EINVAL)},
				{"waitv, none", "futex_waitv", nil, []uint64{v, 0, 0, 0, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.EINVAL)},
				{"waitv, array unmapped", "futex_waitv", nil, []uint64{unmapped, 1, 0, 0, uint64(unix.CLOCK_MONOTONIC)}, errnoRet(unix.EFAULT)},
				{"requeue", "futex_requeue", func() { waitv(v, 5, w, u32|priv, 0); waitv(v+24, 0, w+8, u32|priv, 0) }, []uint64{v, 0, 1, 1}, 0},
				{"requeue to unmapped", "futex_requeue", func() { waitv(v, 5, w, u32|priv, 0); waitv(v+24, 0, unmapped, u32|priv, 0) }, []uint64{v, 0, 1, 1}, errnoRet(unix.EFAULT)},
			} {
				if tc.setup != nil {
					tc.setup()
				}
				if r := e.sys(tc.call, tc.args...); r != tc.want {
					t.Errorf("%s: got %d, want %d", tc.name, r, tc.want)
				}
			}
		})
	}
}
