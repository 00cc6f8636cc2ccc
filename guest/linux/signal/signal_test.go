package signal

import "testing"

// TestQueue: standard signals coalesce and keep the first siginfo,
// real-time ones queue in order; Dequeue takes synchronous signals first,
// then the lowest number; Flush drops every instance.
func TestQueue(t *testing.T) {
	var q Queue
	steps := []struct {
		op   string
		info Info
		ok   bool
	}{
		{"enqueue", KillInfo(SIGUSR1, SI_USER, 1, 0), true},
		{"enqueue", KillInfo(SIGUSR1, SI_USER, 2, 0), false}, // already pending: the first stays
		{"enqueue", QueueInfo(SIGRTMIN+1, SI_QUEUE, 1, 0, 7), true},
		{"enqueue", QueueInfo(SIGRTMIN+1, SI_QUEUE, 1, 0, 8), true},
		{"enqueue", KillInfo(SIGTERM, SI_USER, 1, 0), true},
		{"enqueue", FaultInfo(SIGSEGV, SEGV_MAPERR, 0x10), true},
	}
	for i, s := range steps {
		if ok := q.Enqueue(s.info); ok != s.ok {
			t.Fatalf("step %d: Enqueue(%d) = %v, want %v", i, s.info.Signo(), ok, s.ok)
		}
	}
	if got, want := q.Pending(), SetOf(SIGUSR1, SIGRTMIN+1, SIGTERM, SIGSEGV); got != want {
		t.Fatalf("Pending = %#x, want %#x", got, want)
	}
	// SIGSEGV first although SIGUSR1 is lower; SIGTERM blocked.
	order := []struct {
		sig  int
		pid  int32
		val  uint32
		addr uint64
	}{{SIGSEGV, 0, 0, 0x10}, {SIGUSR1, 1, 0, 0}, {SIGRTMIN + 1, 1, 7, 0}, {SIGRTMIN + 1, 1, 8, 0}}
	allowed := ^SetOf(SIGTERM)
	for _, w := range order {
		info, ok := q.Dequeue(allowed)
		if !ok || info.Signo() != w.sig {
			t.Fatalf("Dequeue = %d %v, want %d", info.Signo(), ok, w.sig)
		}
		if w.addr != 0 && info.Addr() != w.addr || w.pid != 0 && info.i32(16) != w.pid || w.val != 0 && uint32(info.i32(24)) != w.val {
			t.Fatalf("signal %d: siginfo % x", w.sig, info[:32])
		}
	}
	if _, ok := q.Dequeue(allowed); ok {
		t.Fatalf("Dequeue found more")
	}
	q.Enqueue(QueueInfo(SIGRTMIN, SI_QUEUE, 1, 0, 1))
	q.Flush(SetOf(SIGTERM, SIGRTMIN))
	if q.Pending() != 0 {
		t.Fatalf("after Flush, pending %#x", q.Pending())
	}
	for i := 0; i < MaxQueued; i++ {
		q.Enqueue(QueueInfo(SIGRTMIN, SI_QUEUE, 1, 0, uint64(i)))
	}
	if q.Enqueue(QueueInfo(SIGRTMIN, SI_QUEUE, 1, 0, 0)) {
		t.Fatalf("a full real-time queue took one more")
	}
}

// TestCompat converts siginfo to the i386 layout and back for each
// layout the kernel distinguishes.
func TestCompat(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Info
		// compat field offsets and values to check (4 bytes each)
		want map[int]uint32
	}{
		{"kill", KillInfo(SIGUSR1, SI_USER, 1234, 1000), map[int]uint32{0: SIGUSR1, 8: 0, 12: 1234, 16: 1000}},
		{"tkill", KillInfo(SIGUSR2, SI_TKILL, 77, 5), map[int]uint32{8: uint32(0xfffffffa), 12: 77, 16: 5}},
		{"sigqueue", QueueInfo(SIGRTMIN, SI_QUEUE, 9, 8, 42), map[int]uint32{12: 9, 16: 8, 20: 42}},
		{"segv", FaultInfo(SIGSEGV, SEGV_ACCERR, 0xdead0), map[int]uint32{8: SEGV_ACCERR, 12: 0xdead0}},
		{"kernel", KillInfo(SIGSEGV, SI_KERNEL, 0, 0), map[int]uint32{8: SI_KERNEL, 12: 0, 16: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.in.Compat()
			for off, v := range tc.want {
				if got := le.Uint32(c[off:]); got != v {
					t.Errorf("compat offset %d = %#x, want %#x", off, got, v)
				}
			}
			back := FromCompat(c[:])
			if back != tc.in {
				t.Errorf("FromCompat(Compat) = % x, want % x", back[:32], tc.in[:32])
			}
		})
	}
}

// TestActions: the rt_sigaction layouts of both ABIs and the old i386
// one, and which dispositions discard a signal at once.
func TestActions(t *testing.T) {
	a := Action{Handler: 0x8048000, Flags: SA_SIGINFO | SA_RESTORER, Restorer: 0x8049000, Mask: SetOf(SIGINT, SIGRTMIN+5)}
	for _, abi64 := range []bool{false, true} {
		b := make([]byte, ActionSize(abi64))
		EncodeAction(abi64, a, b)
		if got := DecodeAction(abi64, b); got != a {
			t.Errorf("abi64 %v: round trip %+v, want %+v", abi64, got, a)
		}
	}
	var ob [OldActionSize]byte
	EncodeOldAction(a, ob[:])
	if le.Uint32(ob[4:]) != uint32(a.Mask) || le.Uint32(ob[8:]) != uint32(a.Flags) {
		t.Errorf("old_sigaction % x: mask then flags", ob)
	}
	for _, c := range []struct {
		a       Action
		sig     int
		ignored bool
	}{
		{Action{Handler: SIG_IGN}, SIGUSR1, true},
		{Action{}, SIGCHLD, true},
		{Action{}, SIGCONT, false},
		{Action{}, SIGWINCH, true},
		{Action{}, SIGTERM, false},
		{Action{Handler: SIG_IGN}, SIGKILL, false},
		{Action{Handler: 0x1000}, SIGCHLD, false},
	} {
		if got := c.a.Ignored(c.sig); got != c.ignored {
			t.Errorf("Ignored(%+v, %d) = %v, want %v", c.a, c.sig, got, c.ignored)
		}
	}
	for sig, want := range map[int]Default{SIGQUIT: Core, SIGSEGV: Core, SIGSYS: Core, SIGTERM: Terminate, SIGSTKFLT: Terminate,
		SIGRTMIN + 3: Terminate, SIGTSTP: Stop, SIGCONT: Continue, SIGURG: Ignore, SIGPIPE: Terminate} {
		if got := DefaultAction(sig); got != want {
			t.Errorf("DefaultAction(%d) = %d, want %d", sig, got, want)
		}
	}
}
