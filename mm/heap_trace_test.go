package mm

import (
	"encoding/binary"
	"strings"
	"testing"
)

// traceRec is one op of a test trace.
type traceRec struct {
	op   uint32
	id   uint32
	size uint32
}

// buildTrace encodes recs as an ALLOCTR1 file.
func buildTrace(name string, nslots uint32, recs []traceRec) []byte {
	b := make([]byte, traceHeader+8*len(recs))
	copy(b, TraceMagic)
	le := binary.LittleEndian
	le.PutUint64(b[8:], uint64(len(recs)))
	le.PutUint32(b[16:], nslots)
	copy(b[48:64], name)
	for i, r := range recs {
		le.PutUint32(b[traceHeader+8*i:], r.op<<30|r.id)
		le.PutUint32(b[traceHeader+8*i+4:], r.size)
	}
	return b
}

// selfcheck is the benchmark's self-check trace (bench/alloc/run.sh).
var selfcheck = []traceRec{
	{TraceAlloc, 0, 24}, {TraceAlloc, 1, 4096}, {TraceAlloc, 2, 100000},
	{TraceRealloc, 0, 48}, {TraceRealloc, 1, 10}, {TraceFree, 2, 0},
	{TraceAlloc, 2, 128}, {TraceRealloc, 2, 70000},
	{TraceFree, 0, 0}, {TraceFree, 1, 0}, {TraceFree, 2, 0},
}

func TestParseTrace(t *testing.T) {
	tr, err := ParseTrace(buildTrace("selfcheck", 3, selfcheck))
	if err != nil {
		t.Fatalf("ParseTrace: %v", err)
	}
	if tr.Name != "selfcheck" || tr.Len() != 11 || tr.Allocs != 4 || tr.Frees != 4 || tr.Reallocs != 3 {
		t.Fatalf("got %+v", tr)
	}
	// Live sums: 24, 4120, 104120, 104144, 100058, 58, 186, 70058, ...
	if want := uint64(104144); tr.PeakLive != want {
		t.Fatalf("PeakLive %d, want %d", tr.PeakLive, want)
	}
}

func TestParseTraceErrors(t *testing.T) {
	good := buildTrace("t", 3, selfcheck)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an ALLOCTR1 trace"},
		{"bad magic", append([]byte("ALLOCTR2"), good[8:]...), "not an ALLOCTR1 trace"},
		{"truncated", good[:len(good)-3], "header says 11 ops"},
		{"extra record", append(append([]byte(nil), good...), make([]byte, 8)...), "header says 11 ops"},
		{"slot out of range", buildTrace("t", 2, selfcheck), "op 2: slot 2 not below nslots 2"},
		{"too many slots", buildTrace("t", TraceMaxSlots+1, nil), "more than the limit"},
		{"alloc into live slot", buildTrace("t", 1, []traceRec{{0, 0, 1}, {0, 0, 1}}), "op 1: alloc into live slot 0"},
		{"alloc of 0", buildTrace("t", 1, []traceRec{{0, 0, 0}}), "op 0: alloc of size 0"},
		{"free of empty", buildTrace("t", 1, []traceRec{{1, 0, 0}}), "op 0: free of empty slot 0"},
		{"free with size", buildTrace("t", 1, []traceRec{{0, 0, 1}, {1, 0, 5}}), "op 1: free with size 5"},
		{"realloc of empty", buildTrace("t", 1, []traceRec{{2, 0, 5}}), "op 0: realloc of empty slot 0"},
		{"realloc to 0", buildTrace("t", 1, []traceRec{{0, 0, 1}, {2, 0, 0}}), "op 1: realloc to size 0"},
		{"unknown op", buildTrace("t", 1, []traceRec{{3, 0, 1}}), "op 0: unknown op 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTrace(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestReplayTrace replays the self-check trace, with and without touching
// every page: every tag reads back, the heap checks out, nothing is left.
func TestReplayTrace(t *testing.T) {
	for _, opt := range []ReplayOptions{{}, {TouchPages: true}, {HoldLock: true}} {
		h, _ := newTestHeap(t, HeapConfig{Name: "replay"})
		tr, err := ParseTrace(buildTrace("selfcheck", 3, selfcheck))
		if err != nil {
			t.Fatal(err)
		}
		res, err := ReplayTrace(h, tr, opt)
		if err != nil {
			t.Fatalf("ReplayTrace: %v", err)
		}
		if res.VerifyErrors != 0 || res.Check != "ok" || res.Ops != 11 || res.PeakLiveBytes != 104144 {
			t.Fatalf("got %+v", res)
		}
		if res.PeakMappedBytes < res.PeakLiveBytes {
			t.Fatalf("peak mapped %d below peak live %d", res.PeakMappedBytes, res.PeakLiveBytes)
		}
		st := res.Stats
		if st.Allocs != 4 || st.Frees != 4 || st.Reallocs != 3 || st.LiveBytes != 0 {
			t.Fatalf("stats %+v", st)
		}
	}
}

// FuzzParseTrace: no input makes the parser panic; whatever it accepts
// replays with every tag intact.
func FuzzParseTrace(f *testing.F) {
	f.Add(buildTrace("selfcheck", 3, selfcheck))
	f.Add(buildTrace("t", 1, []traceRec{{0, 0, 1}, {2, 0, 3}, {1, 0, 0}}))
	f.Add([]byte("ALLOCTR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseTrace(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var total uint64
		for i := 0; i < tr.Len(); i++ {
			_, _, size := tr.At(i)
			total += uint64(size)
		}
		if total > 64<<20 {
			return // valid, but too large to replay quickly
		}
		h, _ := newTestHeap(t, HeapConfig{Name: "fuzz"})
		res, err := ReplayTrace(h, tr, ReplayOptions{})
		if err != nil {
			t.Fatalf("ReplayTrace: %v", err)
		}
		if res.VerifyErrors != 0 || res.Check != "ok" {
			t.Fatalf("replay: %+v", res)
		}
	})
}
