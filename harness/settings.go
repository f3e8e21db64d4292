package harness

import (
	"errors"
	"time"
)

// TCPSettings are what a scenario asks of whichever stack runs at an end,
// stated once. Each peer kind translates them into its own stack's switches
// (ours.Options, gvisor.Options and linux.Config all carry them); a peer with no
// switch for one fails to build with an error wrapping ErrUnsupported, and
// the matrix skips that cell with the error as its reason. The zero value
// of each field leaves the stack's own default.
type TCPSettings struct {
	// NoSACK: no SACK-permitted in the SYN (RFC 2018).
	NoSACK bool
	// Nagle turns Nagle's algorithm on (RFC 9293 3.7.4).
	Nagle bool
	// MaxRTO caps the retransmission timeout (RFC 6298 2.5).
	MaxRTO time.Duration
	// SynRetries is how many times a SYN is retransmitted before the
	// attempt fails (RFC 9293 3.8.3, R2 for the SYN).
	SynRetries int
	// DataRetries is how many times data is retransmitted before the
	// connection is given up (RFC 1122 4.2.3.5, R2).
	DataRetries int
	// MSL is the maximum segment lifetime: TIME-WAIT lasts 2*MSL (RFC
	// 9293 3.4.2).
	MSL time.Duration
	// Congestion names the congestion control: "newreno" (RFC 5681 with
	// RFC 6582) or "cubic" (RFC 9438). gVisor and Linux call NewReno "reno".
	Congestion string
}

// ErrUnsupported: a peer cannot do what a scenario asks of it: it has no
// switch for a TCPSettings field the scenario asked for, or (a stack in
// another process) no such operation, or no states to report.
var ErrUnsupported = errors.New("the peer cannot do what the scenario asks")

// With returns w with more laid over it: a switch either turns on stays on,
// and more's non-zero values replace w's.
func (w TCPSettings) With(more TCPSettings) TCPSettings {
	w.NoSACK = w.NoSACK || more.NoSACK
	w.Nagle = w.Nagle || more.Nagle
	if more.MaxRTO != 0 {
		w.MaxRTO = more.MaxRTO
	}
	if more.SynRetries != 0 {
		w.SynRetries = more.SynRetries
	}
	if more.DataRetries != 0 {
		w.DataRetries = more.DataRetries
	}
	if more.MSL != 0 {
		w.MSL = more.MSL
	}
	if more.Congestion != "" {
		w.Congestion = more.Congestion
	}
	return w
}
