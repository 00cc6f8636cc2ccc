package signal

// MaxQueued bounds the instances of one real-time signal a queue holds
// (the kernel bounds all of a user's by RLIMIT_SIGPENDING); a generation
// beyond it is refused (sigqueue: EAGAIN).
const MaxQueued = 1024

// Queue holds the pending signals of a thread or of the process.
type Queue struct {
	// set has the bit of every signal with an instance in std or rt.
	set Set
	// std is the siginfo of each pending standard signal (index sig-1).
	std [SIGRTMIN - 1]Info
	// rt are the queued instances of each real-time signal (index
	// sig-SIGRTMIN), oldest first.
	rt [NSIG - SIGRTMIN + 1][]Info
}

// Pending is the set of signals with an instance queued.
func (q *Queue) Pending() Set { return q.set }

// Enqueue adds an instance of info's signal. It reports false when
// nothing was added: a standard signal already pending (the kernel keeps
// the first one's siginfo), or a full real-time queue.
func (q *Queue) Enqueue(info Info) bool {
	sig := info.Signo()
	if sig < 1 || sig > NSIG {
		return false
	}
	if sig < SIGRTMIN {
		if q.set.Has(sig) {
			return false
		}
		q.std[sig-1] = info
	} else {
		r := &q.rt[sig-SIGRTMIN]
		if len(*r) >= MaxQueued {
			return false
		}
		*r = append(*r, info)
	}
	q.set = q.set.Add(sig)
	return true
}

// Take removes the oldest instance of sig.
func (q *Queue) Take(sig int) (Info, bool) {
	if !q.set.Has(sig) {
		return Info{}, false
	}
	if sig < SIGRTMIN {
		q.set = q.set.Del(sig)
		return q.std[sig-1], true
	}
	r := &q.rt[sig-SIGRTMIN]
	info := (*r)[0]
	copy(*r, (*r)[1:])
	*r = (*r)[:len(*r)-1]
	if len(*r) == 0 {
		q.set = q.set.Del(sig)
	}
	return info, true
}

// Next is the signal Dequeue would take among allowed, 0 if none.
func (q *Queue) Next(allowed Set) int {
	p := q.set & allowed
	if p == 0 {
		return 0
	}
	if s := p & Synchronous; s != 0 {
		return s.Lowest()
	}
	return p.Lowest()
}

// Dequeue takes the next signal among allowed: a synchronous one first,
// then the lowest number.
func (q *Queue) Dequeue(allowed Set) (Info, bool) {
	sig := q.Next(allowed)
	if sig == 0 {
		return Info{}, false
	}
	return q.Take(sig)
}

// Flush drops every instance of the signals in s (a disposition set to
// ignore, SIGCONT's and the stop signals' mutual discarding).
func (q *Queue) Flush(s Set) {
	for x := q.set & s; x != 0; x &= x - 1 {
		sig := x.Lowest()
		if sig >= SIGRTMIN {
			q.rt[sig-SIGRTMIN] = nil
		}
		q.set = q.set.Del(sig)
	}
}
