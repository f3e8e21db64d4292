package linux

import (
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// netns is a private network namespace held by one locked OS thread.
//
// Go moves goroutines between threads, and a thread's network namespace is
// per thread (unshare(CLONE_NEWNET) changes only the caller). A goroutine
// that unshared and then migrated would leave another goroutine running in the
// wrong namespace, so the thread that unshares is locked to one goroutine for
// its whole life and never unlocked: when that goroutine returns, the Go
// runtime kills the thread instead of returning it to the pool. Everything
// that must run inside the namespace (socket(), opening /dev/net/tun, writing
// /proc/sys/net) is sent to that goroutine as a function. A socket keeps the
// namespace it was created in, so once made it can be used from any goroutine.
type netns struct {
	calls chan func()
	done  chan struct{}

	mu     sync.Mutex
	closed bool
}

// newNetns starts the owning goroutine and unshares its thread's network
// namespace.
func newNetns() (*netns, error) {
	ns := &netns{calls: make(chan func()), done: make(chan struct{})}
	started := make(chan error, 1)
	go ns.own(started)
	if err := <-started; err != nil {
		<-ns.done
		return nil, unavailable("unshare(CLONE_NEWNET)", err)
	}
	return ns, nil
}

func (ns *netns) own(started chan<- error) {
	defer close(ns.done)
	// Never unlocked: see the type's comment.
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		started <- err
		return
	}
	started <- nil
	for f := range ns.calls {
		f()
	}
}

// do runs f on the namespace's thread and returns its error.
func (ns *netns) do(f func() error) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.closed {
		return ErrClosed
	}
	errc := make(chan error, 1)
	ns.calls <- func() { errc <- f() }
	return <-errc
}

// close ends the owning goroutine and its thread. The namespace itself lives
// on until its last socket and TUN fd are closed too.
func (ns *netns) close() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.closed {
		return
	}
	ns.closed = true
	close(ns.calls)
	<-ns.done
}
