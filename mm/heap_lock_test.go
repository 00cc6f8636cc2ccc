package mm

import (
	"sync"
	"testing"
	"time"
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

// TestHeapMutexLongHold: a waiter that has gone through every back-off
// stage (spinning, yielding, sleeping) while the holder keeps the lock for
// 20 ms still gets it once, and only once, the holder releases it, and sees
// what the holder wrote before.
func TestHeapMutexLongHold(t *testing.T) {
	var (
		m        heapMutex
		released bool // written by the holder inside its critical section
		seen     = make(chan bool)
	)
	m.Lock()
	go func() {
		m.Lock()
		seen <- released
		m.Unlock()
	}()
	time.Sleep(20 * time.Millisecond) // the waiter gets to its sleeping stage
	released = true
	m.Unlock()
	if !<-seen {
		t.Fatal("the waiter got the lock before the holder released it, or missed its write")
	}
}
