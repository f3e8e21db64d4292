package harness

import (
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/tcpbed/tcpbed/ourstack"
)

// The two stacks ask for the same clock through interfaces that differ only
// in AfterFunc's result type; these adapters give each its own view of one
// Clock.

// Netstack returns c as gVisor's tcpip.Clock.
func (c *Clock) Netstack() tcpip.Clock { return netstackClock{c} }

// Ourstack returns c as ourstack's Clock.
func (c *Clock) Ourstack() ourstack.Clock { return ourstackClock{c} }

type netstackClock struct{ c *Clock }

func (n netstackClock) Now() time.Time { return n.c.Now() }

// NowMonotonic counts from the Unix epoch rather than from zero: gVisor reads
// a zero MonotonicTime as "never", so the clock must never show it.
func (n netstackClock) NowMonotonic() tcpip.MonotonicTime {
	return tcpip.MonotonicTime{}.Add(n.c.Now().Sub(time.Unix(0, 0)))
}

func (n netstackClock) AfterFunc(d time.Duration, f func()) tcpip.Timer {
	return n.c.AfterFunc(d, f)
}

type ourstackClock struct{ c *Clock }

func (o ourstackClock) Now() time.Time { return o.c.Now() }

func (o ourstackClock) AfterFunc(d time.Duration, f func()) ourstack.Timer {
	return o.c.AfterFunc(d, f)
}
