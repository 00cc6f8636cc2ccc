package mm

import (
	"sync"
	"testing"
)

// TestHeapMutexExcludes: goroutines increment a plain counter and check
// that nobody else is inside the critical section. Without mutual exclusion
// (or with a release that let the increment escape the section) the count
// comes out short or the inside flag is seen set.
func TestHeapMutexExcludes(t *testing.T) {
	const goroutines, rounds = 4, 20000
	var (
		m      heapMutex
		count  int
		inside bool
		wg     sync.WaitGroup
		bad    int
		badMu  sync.Mutex
	)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				m.Lock()
				if inside {
					badMu.Lock()
					bad++
					badMu.Unlock()
				}
				inside = true
				count++
				inside = false
				m.Unlock()
			}
		}()
	}
	wg.Wait()
	if count != goroutines*rounds || bad != 0 {
		t.Fatalf("got count %d with %d overlaps, want %d and 0", count, bad, goroutines*rounds)
	}
}
