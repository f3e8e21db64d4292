package conformance

import (
	"slices"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/linux"
)

// Linux is the peer kind of the Linux kernel's TCP (harness/linux): a
// private network namespace reached through a TUN device.
const Linux = "linux"

// LinuxPairings are ourstack against Linux: ourstack dials Linux, Linux
// dials ourstack.
var LinuxPairings = []Pairing{{Client: Ours, Server: Linux}, {Client: Linux, Server: Ours}}

// ReferencePairings are the two reference stacks against each other. They
// are cheap (the whole catalogue in both, 13 s of real time on one core)
// and show, next to the control, where the references part: every such
// cell passes only under the deviations registered for one of them.
var ReferencePairings = []Pairing{{Client: GVisor, Server: Linux}, {Client: Linux, Server: GVisor}}

// MatrixPairings are every column of the conformance matrix: AllPairings,
// LinuxPairings, ReferencePairings, then LnetoPairings.
var MatrixPairings = slices.Concat(AllPairings, LinuxPairings, ReferencePairings, LnetoPairings)

// RealTimeFit says whether a scenario can run against a peer on real time.
// Linux's timers cannot follow the virtual clock: harness/linux mirrors its
// retransmission, zero-window probe and keepalive timers onto it, so a timer
// costs its real duration, and does not mirror TIME-WAIT (60 s, fixed in
// Linux). The matrix must stay under a minute of real time, so a scenario
// that would wait on Linux's timers for more than a couple of seconds does
// not run with Linux.
type RealTimeFit int

const (
	// FitsRealTime: the scenario runs with Linux as it is (the zero value).
	FitsRealTime RealTimeFit = iota
	// FitsWithObservation: a long wait on Linux's clock is replaced, at the
	// Linux end, by an observation (TIME-WAIT seen in the kernel's socket
	// table right after the close instead of waited out); the run's notes
	// say so (RealTimeNote says what is replaced).
	FitsWithObservation
	// TooSlowForRealTime: the scenario is skipped in pairings with Linux,
	// RealTimeNote saying why.
	TooSlowForRealTime
)

// IsLinuxPairing reports whether p has a Linux end.
func IsLinuxPairing(p Pairing) bool { return p.Client == Linux || p.Server == Linux }

// AsGVisor is p with Linux replaced by gVisor: a scenario runs with Linux
// where it runs with gVisor, the other reference stack.
func AsGVisor(p Pairing) Pairing {
	if p.Client == Linux {
		p.Client = GVisor
	}
	if p.Server == Linux {
		p.Server = GVisor
	}
	return p
}

// SkipReason is why the scenario does not run in p ("" when it does).
func (s *Scenario) SkipReason(p Pairing) string {
	if p.Family == IPv4 && s.IPv6Only != "" {
		return s.Name + " is IPv6's alone: " + s.IPv6Only
	}
	if p.Family == IPv6 {
		if s.IPv4Only != "" {
			return s.Name + " is IPv4's alone: " + s.IPv4Only
		}
		if reason := ipv6Unsupported(p); reason != "" {
			return reason
		}
	}
	if s.RunsIn(p) {
		return ""
	}
	if IsExecPairing(p) || IsLnetoPairing(p) {
		return s.SkipReason(AsOurs(p))
	}
	if IsLinuxPairing(p) && s.RealTime == TooSlowForRealTime && (s.Pairings == nil || slices.Contains(s.PairingsOrAll(), AsGVisor(p))) {
		return s.Name + " does not run with Linux (real time): " + s.RealTimeNote
	}
	return s.Name + " runs only in " + pairingList(s.PairingsOrAll()) + ": " + s.Summary
}

func pairingList(ps []Pairing) string {
	out := "["
	for i, p := range ps {
		if i > 0 {
			out += " "
		}
		out += p.String()
	}
	return out + "]"
}

// linuxPeer builds a Linux peer from setup's Linux configuration and the
// settings the scenario asks of every stack. Linux often runs in gVisor's
// place, so the settings a scenario gave gVisor alone apply to it too.
func linuxPeer(setup *Setup) harness.PeerMaker {
	cfg := setup.Linux
	cfg.TCP = setup.TCP.With(setup.GVisor.Settings).With(cfg.TCP)
	return linux.NewPeer(cfg)
}

// linearSYNGaps reports whether syns left 1 s apart each (to a jiffy:
// Linux's timers fire on its own clock, mirrored onto the virtual one),
// Linux's tcp_syn_linear_timeouts.
func LinearSYNGaps(syns []*harness.Record) bool {
	for i := 1; i < len(syns); i++ {
		if d := syns[i].At - syns[i-1].At; d < time.Second-20*time.Millisecond || d > time.Second+20*time.Millisecond {
			return false
		}
	}
	return len(syns) > 1
}

// rstEndedLinuxTimeWait reports whether c's end is Linux and a RST has just
// ended its TIME-WAIT (LinuxRSTEndsTimeWait): CLOSED straight from
// TIME-WAIT, at once. Any other end must hold TIME-WAIT (RFC 1337).
func (e *Env) RSTEndedLinuxTimeWait(c harness.Conn) bool {
	side := e.Side(c)
	if e.PeerKind(side) != Linux || c.State() != harness.Closed {
		return false
	}
	e.Deviates(LinuxRSTEndsTimeWait)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)
	return true
}
