//go:build race || !amd64

package mm

import "sync"

// heapMutex is the heap's lock. With the race detector, and on hosts other
// than x86-64, it is sync.Mutex; see heap_lock_unsafe_amd64.go for the
// x86-64 lock and docs/RATIONALE.md ("Why does the heap have its own lock
// on x86-64?").
type heapMutex struct{ sync.Mutex }
