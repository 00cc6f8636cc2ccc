package mm

import (
	"math/rand/v2"
	"testing"
)

// naiveBitmap is the reference model: one bool per page.
type naiveBitmap []bool

func (m naiveBitmap) findDown(n, align, lo, hi uint64) (uint64, bool) {
	hi = min(hi, uint64(len(m)))
	if n == 0 || hi < lo || hi-lo < n {
		return 0, false
	}
	for s := (hi - n) &^ (align - 1); ; s -= align {
		if s < lo {
			return 0, false
		}
		if m.clear(s, n) {
			return s, true
		}
		if s < align {
			return 0, false
		}
	}
}

func (m naiveBitmap) findUp(n, align, lo, hi uint64) (uint64, bool) {
	hi = min(hi, uint64(len(m)))
	for s := (lo + align - 1) &^ (align - 1); s+n <= hi; s += align {
		if n > 0 && m.clear(s, n) {
			return s, true
		}
	}
	return 0, false
}

func (m naiveBitmap) clear(s, n uint64) bool {
	for i := s; i < s+n; i++ {
		if m[i] {
			return false
		}
	}
	return true
}

func TestPageBitmapAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []uint64{1, 63, 64, 65, 200, 1000} {
		b := newPageBitmap(size)
		m := make(naiveBitmap, size)
		for step := 0; step < 3000; step++ {
			first := r.Uint64N(size)
			n := r.Uint64N(size-first) + 1
			switch r.IntN(4) {
			case 0:
				got := b.setRange(first, n)
				var want uint64
				for i := first; i < first+n; i++ {
					if !m[i] {
						want++
					}
					m[i] = true
				}
				if got != want {
					t.Fatalf("size %d: setRange(%d,%d) changed %d, want %d", size, first, n, got, want)
				}
			case 1:
				got := b.clearRange(first, n)
				var want uint64
				for i := first; i < first+n; i++ {
					if m[i] {
						want++
					}
					m[i] = false
				}
				if got != want {
					t.Fatalf("size %d: clearRange(%d,%d) changed %d, want %d", size, first, n, got, want)
				}
			case 2:
				align := uint64(1) << r.IntN(4)
				lo := r.Uint64N(size)
				hi := lo + r.Uint64N(size-lo+1)
				k := r.Uint64N(8) + 1
				gs, gok := b.findDown(k, align, lo, hi)
				ws, wok := m.findDown(k, align, lo, hi)
				if gs != ws || gok != wok {
					t.Fatalf("size %d: findDown(%d,%d,%d,%d) = %d,%v, want %d,%v", size, k, align, lo, hi, gs, gok, ws, wok)
				}
			case 3:
				align := uint64(1) << r.IntN(4)
				lo := r.Uint64N(size)
				hi := lo + r.Uint64N(size-lo+1)
				k := r.Uint64N(8) + 1
				gs, gok := b.findUp(k, align, lo, hi)
				ws, wok := m.findUp(k, align, lo, hi)
				if gs != ws || gok != wok {
					t.Fatalf("size %d: findUp(%d,%d,%d,%d) = %d,%v, want %d,%v", size, k, align, lo, hi, gs, gok, ws, wok)
				}
			}
			qi, qn := r.Uint64N(size+1), uint64(1)
			if qi < size {
				qn = r.Uint64N(size-qi) + 1
			}
			checkBitmapQueries(t, b, m, qi, qn)
			var used uint64
			for i := range m {
				if b.test(uint64(i)) != m[i] {
					t.Fatalf("size %d: page %d = %v, want %v", size, i, b.test(uint64(i)), m[i])
				}
				if m[i] {
					used++
				}
			}
			if b.used != used {
				t.Fatalf("size %d: used = %d, recount %d", size, b.used, used)
			}
		}
	}
}

// checkBitmapQueries compares the range tests at [i, i+n) (clipped to the
// bitmap) and the next/prev searches from i with the model.
func checkBitmapQueries(t *testing.T, b *pageBitmap, m naiveBitmap, i, n uint64) {
	t.Helper()
	size := uint64(len(m))
	if i+n <= size {
		wantClear, wantSet := true, true
		for k := i; k < i+n; k++ {
			wantClear = wantClear && !m[k]
			wantSet = wantSet && m[k]
		}
		if got := b.isClear(i, n); got != wantClear {
			t.Fatalf("size %d: isClear(%d,%d) = %v, want %v", size, i, n, got, wantClear)
		}
		if got := b.isSet(i, n); got != wantSet {
			t.Fatalf("size %d: isSet(%d,%d) = %v, want %v", size, i, n, got, wantSet)
		}
	}
	next := func(used bool) uint64 {
		for k := i; k < size; k++ {
			if m[k] == used {
				return k
			}
		}
		return size
	}
	prev := func(used bool) int64 {
		for k := int64(min(i, size)) - 1; k >= 0; k-- {
			if m[k] == used {
				return k
			}
		}
		return -1
	}
	if got, want := b.nextSet(i), next(true); got != want {
		t.Fatalf("size %d: nextSet(%d) = %d, want %d", size, i, got, want)
	}
	if got, want := b.nextClear(i), next(false); got != want {
		t.Fatalf("size %d: nextClear(%d) = %d, want %d", size, i, got, want)
	}
	if got, want := b.prevSet(i), prev(true); got != want {
		t.Fatalf("size %d: prevSet(%d) = %d, want %d", size, i, got, want)
	}
	if got, want := b.prevClear(i), prev(false); got != want {
		t.Fatalf("size %d: prevClear(%d) = %d, want %d", size, i, got, want)
	}
}
