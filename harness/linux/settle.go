package linux

import (
	"errors"
	"fmt"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// ErrNotQuiet is Settle's error when the TUN never fell quiet in time.
var ErrNotQuiet = errors.New("linux: TUN never fell quiet")

// Settle waits until nothing has crossed the TUN, in either direction, for
// QuietPeriod, and returns ErrNotQuiet if that has not happened within max.
//
// This is the one place the package waits on real time, and it is inherent to
// a real-time peer: a packet written to the TUN is processed by the kernel
// before the write returns, and any immediate reply is on the TUN's queue by
// then, but the kernel's timers (delayed ACK, 40 ms at least; retransmission;
// TIME-WAIT) run on the kernel's clock, which the harness cannot advance. A
// quiet period shorter than Linux's minimum delayed-ACK time means a delayed
// ACK may arrive after Settle returns. So correctness must not hang on
// Settle: a test that expects something of Linux polls for it (WaitState,
// ReadPacket) with a generous timeout.
func (h *Host) Settle(max time.Duration) error {
	deadline := time.Now().Add(max)
	for {
		h.mu.Lock()
		closed, last := h.closed, h.lastActivity
		h.mu.Unlock()
		if closed {
			return ErrClosed
		}
		quietFor := time.Since(last)
		if quietFor >= h.cfg.QuietPeriod {
			return nil
		}
		wait := h.cfg.QuietPeriod - quietFor
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%w within %v (quiet period %v)", ErrNotQuiet, max, h.cfg.QuietPeriod)
		}
		time.Sleep(wait)
	}
}

// pollInterval is how often WaitState re-reads the kernel's state.
const pollInterval = time.Millisecond

// WaitState polls state until it returns want, an error, or timeout of real
// time passes; it returns the last state read. It is how a test observes the
// kernel rather than sleeping a fixed time and hoping.
func WaitState(state func() (tcp.State, error), want tcp.State, timeout time.Duration) (tcp.State, error) {
	deadline := time.Now().Add(timeout)
	for {
		got, err := state()
		if err != nil || got == want {
			return got, err
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("state %v, want %v after %v", got, want, timeout)
		}
		time.Sleep(pollInterval)
	}
}
