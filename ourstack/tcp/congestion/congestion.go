// Package congestion holds ourstack's congestion control: the Controller a
// TCB consults for its congestion window (RFC 5681), NewReno's loss recovery
// (RFC 6582) and CUBIC (RFC 9438) beside it, and the SACK scoreboard of RFC
// 6675.
//
// Everything here is sans-I/O and counts in bytes. The TCB decides when an
// event happened (new data acknowledged, the third duplicate ACK, a partial
// or full ACK during recovery, a retransmission timeout, an idle restart)
// and tells the Controller; the Controller only does the arithmetic.
package congestion

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// DupThresh is the number of duplicate ACKs (or, with SACK, of SACKed
// segments above a hole) that signals a loss: RFC 5681 section 3.2 and RFC
// 6675 section 2 ("DupThresh ... 3").
const DupThresh = 3

// InitialSsthresh is the slow-start threshold before the first loss. RFC
// 5681 3.1: "The initial value of ssthresh SHOULD be set arbitrarily high
// (e.g., to the size of the largest possible advertised window)", which is
// 65535 << 14 with window scaling (RFC 7323 section 2.3).
const InitialSsthresh = 65535 << 14

// DefaultMSS is the SMSS used when a Controller is given none: the MSS a
// host must assume when the peer sends no MSS option (RFC 9293 3.7.1).
const DefaultMSS = 536

// Controller is one connection's congestion control. All sizes are bytes.
type Controller interface {
	// Name is the name the Controller is registered under.
	Name() string
	// Cwnd is the congestion window.
	Cwnd() int
	// Ssthresh is the slow-start threshold.
	Ssthresh() int

	// OnAck: acked bytes of new data were cumulatively acknowledged outside
	// loss recovery. Slow start or congestion avoidance (RFC 5681 3.1).
	OnAck(acked int)
	// OnEnterRecovery: the third duplicate ACK (RFC 5681 3.2 steps 2-3,
	// RFC 6582 3.2 step 2). flightSize is the data outstanding.
	OnEnterRecovery(flightSize int)
	// OnDupAckInRecovery: one more duplicate ACK during fast recovery
	// (RFC 5681 3.2 step 4).
	OnDupAckInRecovery()
	// OnPartialAck: an ACK during fast recovery that acknowledged acked
	// bytes of new data but not everything up to the recovery point (RFC
	// 6582 3.2 step 5).
	OnPartialAck(acked int)
	// OnExitRecovery: a full ACK ended fast recovery (RFC 6582 3.2 step 3).
	OnExitRecovery()
	// OnRetransmitTimeout: the retransmission timer expired (RFC 5681 3.1,
	// equation 4 and the loss window). flightSize is the data outstanding.
	OnRetransmitTimeout(flightSize int)
	// Undo: the last loss recovery was spurious (RFC 3522 detection): put
	// back the cwnd and ssthresh it started from (RFC 4015's restoration;
	// neither goes below what it is now).
	Undo(cwnd, ssthresh int)
	// OnIdle: nothing has been received for more than one RTO and the TCB
	// is about to send again (RFC 5681 4.1, restart window).
	OnIdle()
	// SetMSS sets SMSS, the sender's maximum segment size.
	SetMSS(mss int)
}

// InitialWindow is IW, the congestion window a connection starts with. We
// follow RFC 6928 section 2 (IW10, as Linux and gVisor do) rather than RFC
// 5681 3.1's two to four segments:
//
//	IW = min (10*MSS, max (2*MSS, 14600))
func InitialWindow(mss int) int {
	return min(10*mss, max(2*mss, 14600))
}

// Factory builds a Controller for a connection whose SMSS is mss.
type Factory func(mss int) Controller

// ErrUnknownAlgorithm is wrapped by New's error for a name no algorithm is
// registered under.
var ErrUnknownAlgorithm = errors.New("congestion: unknown algorithm")

// Default is the algorithm New uses for an empty name.
const Default = "newreno"

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{
		"newreno": func(mss int) Controller { return NewReno(mss) },
		"cubic":   func(mss int) Controller { return Cubic(mss) },
	}
)

// Register makes an algorithm available to New under name, replacing any
// algorithm registered under it before.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[name] = f
}

// Names lists the registered algorithms, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds the Controller registered under name ("" means Default).
func New(name string, mss int) (Controller, error) {
	if name == "" {
		name = Default
	}
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownAlgorithm, name, strings.Join(Names(), ", "))
	}
	return f(mss), nil
}
