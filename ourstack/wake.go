package ourstack

// waker wakes every goroutine waiting for a change to one object (a Conn or
// a Listener). Waiters take the channel under the Stack's lock and block on
// it after releasing the lock, so no wake-up is lost; the channel exists only
// while someone waits.
type waker struct{ ch chan struct{} }

func (w *waker) wait() <-chan struct{} {
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

func (w *waker) wake() {
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}

// wait releases the lock, blocks until ch is closed or ctxDone (which may be
// nil) is, and retakes the lock. It reports whether ch was the one.
func (s *Stack) wait(ch <-chan struct{}, ctxDone <-chan struct{}) bool {
	s.mu.Unlock()
	defer s.mu.Lock()
	select {
	case <-ch:
		return true
	case <-ctxDone:
		return false
	}
}
