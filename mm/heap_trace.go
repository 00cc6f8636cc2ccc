package mm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Allocation traces in the ALLOCTR1 format of the allocator benchmark
// (the allocator benchmark's README.md): a 64-byte header, then one 8-byte record per op,
// little-endian. ParseTrace validates everything the replay loop relies on,
// so the loop itself checks nothing but the tag bytes it reads back.

// TraceMagic starts every trace.
const TraceMagic = "ALLOCTR1"

const (
	traceHeader = 64
	// TraceMaxSlots bounds a trace's slot table (16M slots, 128 MiB of
	// addresses); the standard traces use at most a few hundred thousand.
	TraceMaxSlots = 1 << 24
	traceIDMask   = 1<<30 - 1
)

// Trace ops, from the top two bits of a record's first word.
const (
	TraceAlloc   = 0
	TraceFree    = 1
	TraceRealloc = 2
)

// Trace is a validated allocation trace.
type Trace struct {
	Name     string // from the header
	Seed     uint64 // from the header
	NumSlots uint32 // every slot id is below this
	// PeakLive is the highest sum of requested sizes of live blocks,
	// recomputed from the ops.
	PeakLive uint64
	Allocs   uint64
	Frees    uint64
	Reallocs uint64
	// recs holds the records, 8 bytes per op; immutable.
	recs []byte
}

// Len is the number of ops.
func (t *Trace) Len() int { return len(t.recs) / 8 }

// At returns op i.
func (t *Trace) At(i int) (op uint32, id uint32, size uint32) {
	w := binary.LittleEndian.Uint32(t.recs[8*i:])
	return w >> 30, w & traceIDMask, binary.LittleEndian.Uint32(t.recs[8*i+4:])
}

// LoadTrace reads and validates a trace file.
func LoadTrace(path string) (*Trace, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ParseTrace(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTrace validates a trace held in memory: the magic, a file size of
// exactly 64 + 8*nops, slot ids below nslots (itself at most
// TraceMaxSlots), and the op rules (ALLOC of an empty slot with a size of at
// least 1, FREE of a live slot with size 0, REALLOC of a live slot with a
// size of at least 1). The Trace refers to data, which must not change.
// Malformed input is an error naming the first bad op, never a panic.
func ParseTrace(data []byte) (*Trace, error) {
	if len(data) < traceHeader || string(data[:8]) != TraceMagic {
		return nil, errors.New("not an " + TraceMagic + " trace")
	}
	le := binary.LittleEndian
	nops := le.Uint64(data[8:])
	body := uint64(len(data) - traceHeader)
	if body%8 != 0 || body/8 != nops {
		return nil, fmt.Errorf("header says %d ops but the file holds %d bytes of records", nops, body)
	}
	t := &Trace{
		Name:     string(bytes.TrimRight(data[48:64], "\x00")),
		Seed:     le.Uint64(data[24:]),
		NumSlots: le.Uint32(data[16:]),
		recs:     data[traceHeader:],
	}
	if t.NumSlots > TraceMaxSlots {
		return nil, fmt.Errorf("%d slots, more than the limit of %d", t.NumSlots, TraceMaxSlots)
	}
	if flags := le.Uint32(data[20:]); flags != 0 {
		return nil, fmt.Errorf("flags %#x, want 0", flags)
	}
	// The slot table only needs to reach the highest id used.
	var top uint32
	for i := 0; i < t.Len(); i++ {
		_, id, _ := t.At(i)
		if id >= t.NumSlots {
			return nil, fmt.Errorf("op %d: slot %d not below nslots %d", i, id, t.NumSlots)
		}
		top = max(top, id+1)
	}
	sizes := make([]uint32, top) // 0: slot empty
	var live uint64
	for i := 0; i < t.Len(); i++ {
		op, id, size := t.At(i)
		switch op {
		case TraceAlloc:
			if sizes[id] != 0 {
				return nil, fmt.Errorf("op %d: alloc into live slot %d", i, id)
			}
			if size == 0 {
				return nil, fmt.Errorf("op %d: alloc of size 0", i)
			}
			t.Allocs++
		case TraceFree:
			if sizes[id] == 0 {
				return nil, fmt.Errorf("op %d: free of empty slot %d", i, id)
			}
			if size != 0 {
				return nil, fmt.Errorf("op %d: free with size %d, want 0", i, size)
			}
			t.Frees++
		case TraceRealloc:
			if sizes[id] == 0 {
				return nil, fmt.Errorf("op %d: realloc of empty slot %d", i, id)
			}
			if size == 0 {
				return nil, fmt.Errorf("op %d: realloc to size 0", i)
			}
			t.Reallocs++
		default:
			return nil, fmt.Errorf("op %d: unknown op %d", i, op)
		}
		live = live - uint64(sizes[id]) + uint64(size)
		sizes[id] = size
		t.PeakLive = max(t.PeakLive, live)
	}
	return t, nil
}

// ReplayResult is what one replay measured; the JSON keys are those of the
// `minemu mm replay` output.
type ReplayResult struct {
	Trace           string    `json:"trace"`
	Heap            string    `json:"heap"`
	Mode            string    `json:"mode,omitempty"`
	Touch           string    `json:"touch"`
	Lock            string    `json:"lock"` // "per-op": every call locks; "held": one Lock around the loop
	Ops             int       `json:"ops"`
	NsPerOp         float64   `json:"ns_per_op"`
	CPUNsPerOp      float64   `json:"cpu_ns_per_op"` // user+system time of the process during the loop
	PeakLiveBytes   uint64    `json:"peak_live_bytes"`
	PeakMappedBytes uint64    `json:"peak_mapped_bytes"`
	PeakRSSBytes    uint64    `json:"peak_rss_bytes"`
	VerifyErrors    uint64    `json:"verify_errors"`
	Check           string    `json:"check"`
	Stats           HeapStats `json:"stats"`
}

// traceTag is the byte written into slot id's blocks (the replayers' tag).
func traceTag(id uint32) byte { return byte(id*0x9d + 0x5b) }

// ReplayOptions change how a trace is replayed.
type ReplayOptions struct {
	// TouchPages writes one byte in every 4 KiB page of each block, not
	// only its first and last byte.
	TouchPages bool
	// HoldLock takes the heap's lock once around the whole loop and calls
	// the *Locked methods, instead of locking in every call.
	HoldLock bool
}

// ReplayTrace replays t through h the way the benchmark's replayers do:
// ALLOC writes the slot's tag to the first and last byte (with TouchPages
// also one byte per 4 KiB page), FREE reads the first byte back before
// freeing, REALLOC checks the first byte, reallocates and writes the last.
// Tags that do not read back are counted in VerifyErrors. The loop is timed
// alone; the peak RSS is VmHWM after the loop minus VmRSS before it (the
// kernel's mark reset first). Check runs at the end (a generated trace has
// freed every block by then; a hand-written one need not). A heap error
// stops the replay.
func ReplayTrace(h *Heap, t *Trace, opt ReplayOptions) (ReplayResult, error) {
	res := ReplayResult{Trace: t.Name, Heap: h.name, Ops: t.Len(), PeakLiveBytes: t.PeakLive, Touch: "ends",
		Lock: "per-op"}
	if opt.TouchPages {
		res.Touch = "pages"
	}
	if opt.HoldLock {
		res.Lock = "held"
	}
	slots := make([]Addr, t.NumSlots)
	runtime.GC()
	h.ResetPeak()
	base := procStatusBytes("VmRSS")
	resetPeakRSS()
	runtime.LockOSThread()
	cpu0 := cpuTime()
	start := time.Now()
	if opt.HoldLock {
		h.Lock()
	}
	bad, err := replayLoop(h, t, slots, opt)
	if opt.HoldLock {
		h.Unlock()
	}
	wall := time.Since(start)
	cpu := cpuTime() - cpu0
	runtime.UnlockOSThread()
	if hwm := procStatusBytes("VmHWM"); hwm > base {
		res.PeakRSSBytes = hwm - base
	}
	res.NsPerOp = float64(wall.Nanoseconds()) / float64(max(res.Ops, 1))
	res.CPUNsPerOp = float64(cpu.Nanoseconds()) / float64(max(res.Ops, 1))
	res.VerifyErrors = bad
	res.Check = "ok"
	if cerr := h.Check(); cerr != nil {
		res.Check = cerr.Error()
	}
	res.Stats = h.Stats()
	res.PeakMappedBytes = res.Stats.PeakMappedBytes
	return res, err
}

func replayLoop(h *Heap, t *Trace, slots []Addr, opt ReplayOptions) (uint64, error) {
	var bad uint64
	recs := t.recs
	touchPages, held := opt.TouchPages, opt.HoldLock
	for i := 0; i+8 <= len(recs); i += 8 {
		w := binary.LittleEndian.Uint32(recs[i:])
		size := uint64(binary.LittleEndian.Uint32(recs[i+4:]))
		id := w & traceIDMask
		tag := traceTag(id)
		switch w >> 30 {
		case TraceAlloc:
			var p Addr
			var err error
			if held {
				p, err = h.AllocLocked(size)
			} else {
				p, err = h.Alloc(size)
			}
			if err != nil {
				return bad, fmt.Errorf("op %d: alloc %d: %w", i/8, size, err)
			}
			b := memView(p, size)
			if touchPages {
				for off := uint64(0); off < size; off += PageSize {
					b[off] = tag
				}
			}
			b[0] = tag
			b[size-1] = tag
			slots[id] = p
		case TraceFree:
			p := slots[id]
			if memView(p, 1)[0] != tag {
				bad++
			}
			var err error
			if held {
				err = h.FreeLocked(p)
			} else {
				err = h.Free(p)
			}
			if err != nil {
				return bad, fmt.Errorf("op %d: free %v: %w", i/8, p, err)
			}
			slots[id] = 0
		default:
			p := slots[id]
			if memView(p, 1)[0] != tag {
				bad++
			}
			var q Addr
			var err error
			if held {
				q, err = h.ReallocLocked(p, size)
			} else {
				q, err = h.Realloc(p, size)
			}
			if err != nil {
				return bad, fmt.Errorf("op %d: realloc %v to %d: %w", i/8, p, size, err)
			}
			b := memView(q, size)
			if touchPages {
				for off := uint64(0); off < size; off += PageSize {
					b[off] = tag
				}
			}
			b[size-1] = tag
			slots[id] = q
		}
	}
	return bad, nil
}

// procStatusBytes returns a "Vm...: N kB" field of /proc/self/status in
// bytes, 0 if it cannot be read.
func procStatusBytes(field string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok || string(k) != field {
			continue
		}
		f := bytes.Fields(v)
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// cpuTime returns the user plus system CPU time of the whole process.
func cpuTime() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS sets the kernel's peak-RSS mark (VmHWM) to the current RSS.
func resetPeakRSS() {
	if f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0); err == nil {
		f.Write([]byte("5"))
		f.Close()
	}
}
