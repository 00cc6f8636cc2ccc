//go:build race || !amd64

package mm

// lockFree reports whether nobody holds m (sync.Mutex), taking and
// releasing it if so.
func (m *heapMutex) lockFree() bool {
	if !m.TryLock() {
		return false
	}
	m.Unlock()
	return true
}
