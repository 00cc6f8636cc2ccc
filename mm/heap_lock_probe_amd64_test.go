//go:build !race

package mm

import "sync/atomic"

// lockFree reports whether nobody holds m (the x86-64 lock), taking and
// releasing it if so.
func (m *heapMutex) lockFree() bool {
	if !atomic.CompareAndSwapUint32(&m.state, 0, 1) {
		return false
	}
	m.Unlock()
	return true
}
