package mm

import (
	"encoding/binary"
	"errors"
	"testing"
)

// TestHeapCorruptNextMarkFree is the reported case: a LIST chunk's next
// mark overwritten with 0x7ffffff1 (an offset far past the block), then
// Free. Before the fix Free indexed block memory at x+size, panicked with
// "slice bounds out of range" and left the heap lock held, so Close spun
// forever. Now: Free returns ErrCorrupt, the lock is free, Close returns,
// and the heap keeps serving allocations from a block it trusts.
func TestHeapCorruptNextMarkFree(t *testing.T) {
	h, _ := newTestHeap(t, HeapConfig{Name: "corrupt-mark"})
	p, err := h.Alloc(1000) // LIST
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(memView(p-listHeader+4, 4), 0x7ffffff1)
	if err := h.Free(p); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Free after the mark was overwritten: %v, want ErrCorrupt", err)
	}
	st := h.Stats()
	if st.Corruptions != 1 || st.QuarantinedBlocks != 1 {
		t.Fatalf("corruptions %d, quarantined blocks %d, want 1 and 1", st.Corruptions, st.QuarantinedBlocks)
	}
	if err := h.Check(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Check: %v, want it to report the quarantined block as ErrCorrupt", err)
	}
	bad := h.blockOf(p).r
	for i := 0; i < 100; i++ {
		q, err := h.Alloc(1000)
		if err != nil {
			t.Fatalf("Alloc %d after the corruption: %v", i, err)
		}
		if bad.Contains(q) {
			t.Fatalf("Alloc %d returned %v, inside the quarantined block %v", i, q, bad)
		}
		memView(q, 1000)[999] = 1
	}
	// The allocation whose free was refused is still live; freeing it
	// again goes by the heap's records alone and releases the block.
	if err := h.Free(p); err != nil {
		t.Fatalf("second Free of p: %v", err)
	}
	if st := h.Stats(); st.QuarantinedBlocks != 0 {
		t.Fatalf("quarantined blocks %d after the block emptied, want 0", st.QuarantinedBlocks)
	}
	if err := h.Check(); err != nil {
		t.Fatalf("Check after the quarantined block was released: %v", err)
	}
	done := make(chan error)
	go func() { done <- h.Close() }()
	if err := <-done; err != nil {
		t.Fatalf("Close: %v", err)
	}
}
