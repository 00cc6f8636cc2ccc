//go:build linux && amd64

// The per-thread context block and the pending sets: memory the signal
// handler writes without the Go runtime knowing. unsafe is needed because a
// block is mmap'd memory outside the Go heap, reached by its address (the
// thread's GS base); the offsets are those of layout_amd64.h (TestLayout).

package hostsig

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	ringLen    = 8                  // entries per signal ring (RING_LEN)
	blockMagic = 0x4753756d656e696d // "minemuSG" (BLK_MAGIC_VALUE)
	numGregs   = 23                 // NGREG of the x86-64 mcontext
)

// sigEntry is one queued signal. seq is the ring position protocol's
// sequence word: pos when the slot is free for position pos, pos+1 once the
// entry of position pos is published; written by producers (the handler,
// inject) and the one consumer (take).
type sigEntry struct {
	seq  uint64
	tid  int32 // thread that received the signal
	_    uint32
	info [128]byte // the kernel's siginfo_t
}

// sigRing queues the instances of one signal. head counts positions claimed
// by producers (CAS), tail positions consumed; tail <= head.
type sigRing struct {
	head uint64
	tail uint64
	e    [ringLen]sigEntry
}

// pendingSet is a set of pending signals: one ring per signal and a mask
// with bit n-1 set while signal n may have an entry (set by producers after
// publishing, cleared by the consumer when it empties the ring).
type pendingSet struct {
	mask      uint64
	dropped   uint64 // real-time instances lost to a full ring
	coalesced uint64 // standard signals not queued because one was pending
	_         [5]uint64
	rings     [64]sigRing
}

// block is a thread's context block: its address is the thread's GS base
// while registered. The owning thread writes it in Register and Unregister;
// the signal handler on that thread writes the pending flag, the fault
// record and the set; other threads touch only pending, exitReq and the set,
// atomically.
type block struct {
	self       uintptr // the block's own address (gs:[0]); validated by the handler
	magic      uint64  // blockMagic while registered, 0 otherwise
	tid        int32   // the owning OS thread
	pending    uint32  // nonzero: a guest signal was recorded for this thread (Kick also sets it)
	exitReq    uint32  // nonzero: SIGURG arrived while generated code ran
	windowHits uint32  // signals that found the thread in the safe-syscall window
	exitSP     uint64  // stack pointer saved by the generated-code trampoline
	_          [3]uint64
	faultSeq   uint64           // bumped after each recorded fault
	faultPC    uint64           // PC of the last fault
	faultInfo  [128]byte        // siginfo of the last fault
	faultRegs  [numGregs]uint64 // mcontext gregs of the last fault
	_          [15]uint64       // pad to 512
	set        pendingSet       // thread-directed guest signals
}

var blockSize = (unsafe.Sizeof(block{}) + 4095) &^ 4095

// blockPool keeps blocks of unregistered threads. Blocks are never
// unmapped: a thread that inherited a stale GS base may still read one.
var blockPool struct {
	mu   sync.Mutex
	free []*block
}

func allocBlock() (*block, error) {
	blockPool.mu.Lock()
	defer blockPool.mu.Unlock()
	if n := len(blockPool.free); n > 0 {
		b := blockPool.free[n-1]
		blockPool.free = blockPool.free[:n-1]
		return b, nil
	}
	p, _, e := unix.Syscall6(unix.SYS_MMAP, 0, blockSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
	if e != 0 {
		return nil, fmt.Errorf("hostsig: mmap context block: %w", e)
	}
	if p < 1<<32 {
		// A 32-bit guest owns the low 4 GiB; minemu's memory lies above.
		unix.Syscall(unix.SYS_MUNMAP, p, blockSize, 0)
		return nil, errors.New("hostsig: kernel placed a context block below 4 GiB")
	}
	return (*block)(unsafe.Add(unsafe.Pointer(nil), p)), nil
}

func freeBlock(b *block) {
	blockPool.mu.Lock()
	blockPool.free = append(blockPool.free, b)
	blockPool.mu.Unlock()
}

func (b *block) addr() uintptr { return uintptr(unsafe.Pointer(b)) }

// reset prepares an unregistered block for thread tid.
func (b *block) reset(tid int32) {
	b.tid = tid
	b.self = b.addr()
	atomic.StoreUint32(&b.pending, 0)
	atomic.StoreUint32(&b.exitReq, 0)
	b.windowHits = 0
	b.exitSP = 0
	b.faultSeq = 0
	b.faultPC = 0
	b.faultInfo = [128]byte{}
	b.faultRegs = [numGregs]uint64{}
	b.set.reset()
}

func (s *pendingSet) reset() {
	s.mask, s.dropped, s.coalesced = 0, 0, 0
	for i := range s.rings {
		r := &s.rings[i]
		r.head, r.tail = 0, 0
		for j := range r.e {
			r.e[j].seq = uint64(j)
		}
	}
}

func sigbit(sig int) uint64 { return 1 << uint(sig-1) }

// enqueue is the Go producer, the same protocol as enqueue<> in the
// assembly, so it may run concurrently with handlers on any thread.
func (s *pendingSet) enqueue(sig int, info *[128]byte, tid int32) bool {
	r := &s.rings[sig-1]
	for {
		pos := atomic.LoadUint64(&r.head)
		if sig < 32 && pos != atomic.LoadUint64(&r.tail) {
			atomic.AddUint64(&s.coalesced, 1)
			return false
		}
		e := &r.e[pos&(ringLen-1)]
		seq := atomic.LoadUint64(&e.seq)
		if seq == pos {
			if atomic.CompareAndSwapUint64(&r.head, pos, pos+1) {
				e.tid = tid
				e.info = *info
				atomic.StoreUint64(&e.seq, pos+1)
				atomic.OrUint64(&s.mask, sigbit(sig))
				return true
			}
			continue
		}
		if int64(seq-pos) < 0 {
			atomic.AddUint64(&s.dropped, 1)
			return false
		}
	}
}

// take removes the oldest published instance of sig. One consumer at a
// time (callers hold the set's mutex). An instance whose producer has
// claimed but not yet published it is not seen; its producer sets the mask
// bit and the pending flag afterwards.
func (s *pendingSet) take(sig int) (Siginfo, bool) {
	r := &s.rings[sig-1]
	pos := atomic.LoadUint64(&r.tail)
	e := &r.e[pos&(ringLen-1)]
	if atomic.LoadUint64(&e.seq) != pos+1 {
		return Siginfo{}, false
	}
	si := Siginfo{Raw: e.info, Tid: e.tid}
	atomic.StoreUint64(&r.tail, pos+1)
	atomic.StoreUint64(&e.seq, pos+ringLen)
	bit := sigbit(sig)
	atomic.AndUint64(&s.mask, ^bit)
	if atomic.LoadUint64(&r.head) != pos+1 {
		atomic.OrUint64(&s.mask, bit)
	}
	return si, true
}

func (s *pendingSet) pending() Sigset { return Sigset(atomic.LoadUint64(&s.mask)) }

// faultRecord reads the block's fault record. Only the owning thread calls
// it, after the fault's handler has returned.
func (b *block) faultRecord() Fault {
	return Fault{
		Seq:  atomic.LoadUint64(&b.faultSeq),
		PC:   uintptr(b.faultPC),
		Info: Siginfo{Raw: b.faultInfo, Tid: b.tid},
		Regs: b.faultRegs,
	}
}

// layoutOf returns the Go side of layout_amd64.h in asmLayout's order.
func layoutOf() [25]uintptr {
	var b block
	var s pendingSet
	var r sigRing
	var e sigEntry
	return [25]uintptr{
		unsafe.Offsetof(b.self), unsafe.Offsetof(b.magic), unsafe.Offsetof(b.tid),
		unsafe.Offsetof(b.pending), unsafe.Offsetof(b.exitReq), unsafe.Offsetof(b.windowHits),
		unsafe.Offsetof(b.exitSP), unsafe.Offsetof(b.faultSeq), unsafe.Offsetof(b.faultPC),
		unsafe.Offsetof(b.faultInfo), unsafe.Offsetof(b.faultRegs), unsafe.Offsetof(b.set),
		unsafe.Offsetof(s.mask), unsafe.Offsetof(s.dropped), unsafe.Offsetof(s.coalesced),
		unsafe.Offsetof(s.rings), unsafe.Offsetof(r.head), unsafe.Offsetof(r.tail),
		unsafe.Offsetof(r.e), unsafe.Sizeof(r), unsafe.Offsetof(e.seq), unsafe.Offsetof(e.tid),
		unsafe.Offsetof(e.info), unsafe.Sizeof(e), blockMagic,
	}
}

// rangeLayout returns the size of codeRange and the handler's stats offsets.
func rangeLayout() (rangeSize uintptr, stats [5]uintptr) {
	var st handlerStats
	return unsafe.Sizeof(codeRange{}), [5]uintptr{
		unsafe.Offsetof(st.redirect), unsafe.Offsetof(st.rewind), unsafe.Offsetof(st.recorded),
		unsafe.Offsetof(st.forwarded), unsafe.Offsetof(st.goOwned),
	}
}
