package example

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/minemu/minemu/thunks"
)

// TestGuestSideIsGenerated fails when the committed guest side differs
// from the declaration: run `go generate ./thunks/libs/example`.
func TestGuestSideIsGenerated(t *testing.T) {
	if err := thunks.CheckGenerated(Library, "../../../tests/guests/include/minemu_example.h",
		"../../../tests/guests/include/minemu_example.c"); err != nil {
		t.Fatal(err)
	}
}

// TestMergeSortStable: the order sort writes back is the stable order of
// the keys, whatever the length.
func TestMergeSortStable(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 200; n++ {
		keys := make([]int, n)
		for i := range keys {
			keys[i] = r.Intn(10)
		}
		idx := make([]uint64, n)
		for i := range idx {
			idx[i] = uint64(i)
		}
		mergeSort(idx, make([]uint64, n), func(i, j uint64) bool { return keys[i] < keys[j] })
		want := make([]uint64, n)
		for i := range want {
			want[i] = uint64(i)
		}
		slices.SortStableFunc(want, func(a, b uint64) int { return keys[a] - keys[b] })
		if !slices.Equal(idx, want) {
			t.Fatalf("n=%d: got %v, want %v", n, idx, want)
		}
	}
}
