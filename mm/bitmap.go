package mm

import "math/bits"

// pageBitmap keeps one bit per page of a fixed span: 1 = in use, 0 = free.
// It is the bookkeeping of both Regions arenas (FEX keeps one bit per page
// in its 64BitAllocator) and the 32-bit guest window (2^20 pages, 128 KiB).
//
// Indexes are page numbers relative to the start of the span. All searches
// skip whole words of 64 pages at a time, so a search costs O(words
// scanned), never O(pages).
//
// pageBitmap is not safe for concurrent use; its owner's lock guards it.
type pageBitmap struct {
	words []uint64 // bit i%64 of words[i/64] is page i; bits past n are 1
	n     uint64   // number of pages; immutable
	used  uint64   // number of set bits below n, kept exact
}

func newPageBitmap(n uint64) *pageBitmap {
	nw := (n + 63) / 64
	b := &pageBitmap{words: make([]uint64, nw), n: n}
	if rem := n % 64; rem != 0 {
		b.words[nw-1] = ^uint64(0) << rem // pages past the end are never free
	}
	return b
}

// len is the number of pages the bitmap covers.
func (b *pageBitmap) len() uint64 { return b.n }

// setRange marks [first, first+n) used and returns how many of those pages
// were free before.
func (b *pageBitmap) setRange(first, n uint64) uint64 {
	var changed uint64
	b.forRange(first, n, func(w *uint64, m uint64) {
		changed += uint64(bits.OnesCount64(^*w & m))
		*w |= m
	})
	b.used += changed
	return changed
}

// clearRange marks [first, first+n) free and returns how many of those
// pages were used before.
func (b *pageBitmap) clearRange(first, n uint64) uint64 {
	var changed uint64
	b.forRange(first, n, func(w *uint64, m uint64) {
		changed += uint64(bits.OnesCount64(*w & m))
		*w &^= m
	})
	b.used -= changed
	return changed
}

// isClear reports whether every page of [first, first+n) is free.
func (b *pageBitmap) isClear(first, n uint64) bool {
	ok := true
	b.forRange(first, n, func(w *uint64, m uint64) {
		if *w&m != 0 {
			ok = false
		}
	})
	return ok
}

// isSet reports whether every page of [first, first+n) is used.
func (b *pageBitmap) isSet(first, n uint64) bool {
	ok := true
	b.forRange(first, n, func(w *uint64, m uint64) {
		if *w&m != m {
			ok = false
		}
	})
	return ok
}

// test reports whether page i is used.
func (b *pageBitmap) test(i uint64) bool { return b.words[i/64]&(1<<(i%64)) != 0 }

// forRange calls f for each word that [first, first+n) touches, with the
// mask of the bits of the range in that word. The caller has checked that
// first+n <= b.n.
func (b *pageBitmap) forRange(first, n uint64, f func(w *uint64, mask uint64)) {
	if n == 0 {
		return
	}
	if first+n < first || first+n > b.n {
		panic("mm: pageBitmap range out of bounds")
	}
	end := first + n
	for i := first; i < end; {
		wi := i / 64
		lo := i % 64
		hi := uint64(64)
		if (wi+1)*64 > end {
			hi = end - wi*64
		}
		var m uint64
		if hi-lo == 64 {
			m = ^uint64(0)
		} else {
			m = ((uint64(1) << (hi - lo)) - 1) << lo
		}
		f(&b.words[wi], m)
		i = wi*64 + hi
	}
}

// nextSet returns the lowest used page >= i, or b.n if there is none.
func (b *pageBitmap) nextSet(i uint64) uint64 { return b.next(i, 0) }

// nextClear returns the lowest free page >= i, or b.n if there is none.
func (b *pageBitmap) nextClear(i uint64) uint64 { return b.next(i, ^uint64(0)) }

// next returns the lowest page >= i whose bit, xored with flip's, is 1.
func (b *pageBitmap) next(i, flip uint64) uint64 {
	if i >= b.n {
		return b.n
	}
	wi := i / 64
	w := (b.words[wi] ^ flip) & (^uint64(0) << (i % 64))
	for {
		if w != 0 {
			return min(wi*64+uint64(bits.TrailingZeros64(w)), b.n)
		}
		wi++
		if wi >= uint64(len(b.words)) {
			return b.n
		}
		w = b.words[wi] ^ flip
	}
}

// prevSet returns the highest used page < i, or -1 if there is none.
func (b *pageBitmap) prevSet(i uint64) int64 { return b.prev(i, false) }

// prevClear returns the highest free page < i, or -1 if there is none.
func (b *pageBitmap) prevClear(i uint64) int64 { return b.prev(i, true) }

func (b *pageBitmap) prev(i uint64, clear bool) int64 {
	if i > b.n {
		i = b.n
	}
	if i == 0 {
		return -1
	}
	i-- // highest candidate
	wi := int64(i / 64)
	mask := ^uint64(0) >> (63 - i%64)
	for {
		w := b.words[wi]
		if clear {
			w = ^w
		}
		w &= mask
		if w != 0 {
			return wi*64 + int64(63-bits.LeadingZeros64(w))
		}
		wi--
		if wi < 0 {
			return -1
		}
		mask = ^uint64(0)
	}
}

// findDown returns the highest start s, a multiple of align (in pages, a
// power of two), with [s, s+n) free and lo <= s, s+n <= hi.
func (b *pageBitmap) findDown(n, align, lo, hi uint64) (uint64, bool) {
	hi = min(hi, b.n)
	if n == 0 || hi < lo || hi-lo < n {
		return 0, false
	}
	e := hi
	for e > lo {
		c := b.prevClear(e)
		if c < int64(lo) {
			return 0, false
		}
		runEnd := uint64(c) + 1
		runStart := uint64(b.prevSet(runEnd) + 1)
		runStart = max(runStart, lo)
		if runEnd-runStart >= n {
			s := (runEnd - n) &^ (align - 1)
			if s >= runStart {
				return s, true
			}
		}
		e = runStart
	}
	return 0, false
}

// findUp returns the lowest start s, a multiple of align (in pages, a power
// of two), with [s, s+n) free and lo <= s, s+n <= hi.
func (b *pageBitmap) findUp(n, align, lo, hi uint64) (uint64, bool) {
	hi = min(hi, b.n)
	if n == 0 || hi < lo || hi-lo < n {
		return 0, false
	}
	s := b.nextClear(lo)
	for s < hi {
		s = (s + align - 1) &^ (align - 1)
		if s >= hi || hi-s < n {
			return 0, false
		}
		e := min(b.nextSet(s), hi)
		if e-s >= n {
			return s, true
		}
		s = b.nextClear(e)
	}
	return 0, false
}
