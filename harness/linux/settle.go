package linux

import (
	"errors"
	"fmt"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// ErrNotQuiet is Settle's error when the TUN never fell quiet in time.
var ErrNotQuiet = errors.New("linux: TUN never fell quiet")

// Settle reads everything the kernel has sent so far into the queue, then
// waits until the TUN has stayed silent for QuietPeriod, and returns
// ErrNotQuiet if that has not happened within max.
//
// The first part is exact: a packet written to the TUN, or a socket call, is
// processed by the kernel before the write or the call returns, and what the
// kernel sends at once is on the TUN's ring by then (tun_device.go). The
// quiet period is a real-time wait, inherent to a real-time peer: Linux's
// timers (retransmission, delayed ACK when Config.DelayedACK keeps it,
// TIME-WAIT's 60 s) run on the kernel's clock, which a test cannot advance.
// So correctness must not hang on the quiet period: a test that expects
// something of Linux's timers polls for it (WaitState, ReadPacket) with a
// generous timeout. (A harness peer does not use this Settle: its own waits
// only for the kernel timers it mirrors onto the virtual clock,
// peer_timers.go.)
func (h *Host) Settle(max time.Duration) error {
	deadline := time.Now().Add(max)
	for {
		if err := h.pump(); err != nil {
			return err
		}
		left := time.Until(deadline)
		if left < h.cfg.QuietPeriod {
			return fmt.Errorf("%w within %v (quiet period %v)", ErrNotQuiet, max, h.cfg.QuietPeriod)
		}
		busy, err := h.tun.wait(h.cfg.QuietPeriod)
		if err != nil {
			return err
		}
		if !busy {
			return nil
		}
	}
}

// pollInterval is how often WaitState re-reads the kernel's state.
const pollInterval = time.Millisecond

// WaitState polls state until it returns want, an error, or timeout of real
// time passes; it returns the last state read. It is how a test observes the
// kernel rather than sleeping a fixed time and hoping.
func WaitState(state func() (harness.State, error), want harness.State, timeout time.Duration) (harness.State, error) {
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
