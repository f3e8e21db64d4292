package conformance

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec"
	"github.com/tcpbed/tcpbed/harness/ours"
)

// Exec is the peer kind of a TCP stack in another process, in any
// language, that speaks tcpbed's peer protocol (docs/peer-protocol.md,
// harness/exec). "exec:PATH [ARGS]" names the program and its arguments
// (split on spaces); "exec" alone is the one ExecPeerEnv names, which is how
// the matrix takes it (a pairing's name holds no spaces).
const Exec = "exec"

// ExecPeerEnv is the environment variable that names the exec peer of the
// matrix and of the kind "exec": TCPBED_EXEC_PEER="exec:./mystack -v".
// When it is set, the matrix adds ExecPairings.
const ExecPeerEnv = "TCPBED_EXEC_PEER"

// ExecTimeoutEnv, a Go duration, bounds the real time an exec stack may
// take to answer one request (default exec.DefaultReplyTimeout).
const ExecTimeoutEnv = "TCPBED_EXEC_TIMEOUT"

// ExecPairings are the exec peer against both of tcpbed's stacks, both
// ways: the matrix's columns for it.
var ExecPairings = []Pairing{{Client: Exec, Server: GVisor}, {Client: GVisor, Server: Exec}, {Client: Exec, Server: Ours}, {Client: Ours, Server: Exec}}

// ExecPeerKinds is how the CLI's messages name the exec kinds.
const ExecPeerKinds = "exec:PATH [ARGS], exec (the stack " + ExecPeerEnv + " names)"

// IsExec reports whether kind names a stack in another process (lwIP's
// adapter among them).
func IsExec(kind string) bool {
	return kind == Exec || kind == LwIP || strings.HasPrefix(kind, Exec+":")
}

// IsExecPairing reports whether p has an exec end.
func IsExecPairing(p Pairing) bool { return IsExec(p.Client) || IsExec(p.Server) }

// ExecConfigured reports whether ExecPeerEnv names an exec peer, for the
// matrix to add ExecPairings.
func ExecConfigured() bool { return os.Getenv(ExecPeerEnv) != "" }

// ExecCommand is the program and arguments an exec kind names.
func ExecCommand(kind string) ([]string, error) {
	if kind == LwIP {
		return lwipCommand()
	}
	if kind == Exec {
		named := os.Getenv(ExecPeerEnv)
		if named == "" {
			return nil, fmt.Errorf("peer %q: set %s to exec:PATH [ARGS], or name the program as exec:PATH [ARGS]", kind, ExecPeerEnv)
		}
		if !strings.HasPrefix(named, Exec+":") {
			return nil, fmt.Errorf("%s=%q: want exec:PATH [ARGS]", ExecPeerEnv, named)
		}
		kind = named
	}
	argv := strings.Fields(strings.TrimPrefix(kind, Exec+":"))
	if len(argv) == 0 {
		return nil, fmt.Errorf("peer %q names no program (want exec:PATH [ARGS])", kind)
	}
	return argv, nil
}

// AsOurs is p with every exec or lneto end in ourstack's place: a stack in
// another process, or lneto, runs the scenarios ourstack runs, where
// ourstack would stand. It is a stack under test, as ourstack is: judged
// by the RFCs and the deviations registered for it, and asked what a
// scenario asks of ourstack's end (execPeer, lnetoPeer).
func AsOurs(p Pairing) Pairing {
	if IsExec(p.Client) || p.Client == Lneto {
		p.Client = Ours
	}
	if IsExec(p.Server) || p.Server == Lneto {
		p.Server = Ours
	}
	return p
}

// execPeer builds an exec peer for kind. It stands where ourstack would,
// and takes what the scenario asks of that end: the settings of every
// stack, and those of ourstack's own switches the peer protocol carries
// (window scale, timestamps and SACK offered or not, buffers, backlog),
// with the options the scenario must have offered (Setup.MustOffer). A
// scenario that sets one it does not carry cannot run with the stack (a
// skip, saying which); so does a scenario too slow for real time with a
// stack on real time, as with Linux.
func execPeer(kind string, s *Scenario, setup *Setup) (harness.PeerMaker, error) {
	argv, err := ExecCommand(kind)
	if err != nil {
		return nil, err
	}
	o := setup.Ours
	opts := exec.Options{
		Command:       argv,
		Settings:      setup.TCP.With(o.Settings).With(harness.TCPSettings{NoSACK: o.TCP.NoSACK}),
		NoWindowScale: o.TCP.NoWindowScale, NoTimestamps: o.TCP.NoTimestamps,
		OfferSACK: setup.MustOffer.SACK, OfferTimestamps: setup.MustOffer.Timestamps,
		ReceiveBuffer: o.TCP.ReceiveBuffer, SendBuffer: o.TCP.SendBuffer,
		Backlog: o.Backlog,
	}
	carried := o.TCP
	carried.NoSACK, carried.NoWindowScale, carried.NoTimestamps, carried.ReceiveBuffer, carried.SendBuffer = false, false, false, 0, 0
	if carried != (ours.Options{}).TCP || o.SYNQueue != 0 {
		return nil, fmt.Errorf("exec peer: %w: %s sets a switch of ourstack's that the peer protocol does not carry (Setup.Ours: %+v)", harness.ErrUnsupported, s.Name, o)
	}
	if v := os.Getenv(ExecTimeoutEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s=%q: want a Go duration such as 10s", ExecTimeoutEnv, v)
		}
		opts.ReplyTimeout = d
	}
	if s.RealTime == TooSlowForRealTime {
		opts.RealTimeUnfit = s.Name + " does not run with a stack on real time: " + s.RealTimeNote
	}
	return exec.NewPeer(opts), nil
}

// peerBroke turns a run whose peer broke (harness.Breakable: a stack in
// another process that exited, hung or broke the protocol) into its
// verdict: the failure, whatever the scenario made of the stack's
// silence; or a skip, if the stack cannot do what the scenario asks. An
// in-process stack stopped in a sender storm (harness/lneto) breaks too.
func (e *Env) peerBroke() error {
	err := e.Net.PeerErr()
	if err == nil || errors.Is(err, harness.ErrUnsupported) {
		return err
	}
	if errors.Is(err, harness.ErrLivelock) {
		if e.lnetoEndlessResend() {
			return errEndedAccepting
		}
		return e.failure("every stack to run out of packets to send at each instant (no sender storm)", err.Error())
	}
	return e.failure("both stacks to keep to tcpbed's peer protocol (docs/peer-protocol.md) to the end of the run", err.Error())
}

// statesUnreported handles an end whose stack reports no TCP states (an
// exec stack without the STATES capability): a run that read its states
// could not be judged (a skip, saying so); one that did not says in its
// notes that it ran without them.
func (e *Env) statesUnreported() error {
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		r, ok := e.Net.Peer(side).(harness.StateReporter)
		switch {
		case !ok || r.ReportsStates():
		case e.Net.StatesRead(side):
			return fmt.Errorf("%w: %s reads the TCP states of the %s stack (%s), which reports none (no STATES capability)", harness.ErrUnsupported, e.Scenario.Name, side, e.PeerKind(side))
		default:
			e.Observe("the %s stack (%s) reports no TCP states: no check read one, and the trace shows none of its own", side, e.PeerKind(side))
		}
	}
	return nil
}

// OnRealTime reports whether side's stack runs its timers on real time:
// Linux, or an exec stack whose HELLO says so. Its timers are judged with
// judge.RealTimeSlack, and its resends and TIME-WAITs, which real time
// decides, are not judged.
func (e *Env) OnRealTime(side harness.Side) bool {
	if e.PeerKind(side) == Linux {
		return true
	}
	if e.Net == nil {
		return false
	}
	rt, ok := e.Net.Peer(side).(harness.RealTimePeer)
	return ok && rt.RealTime()
}

// validExec reports whether kind is an exec kind that names a program
// (lwIP's, built or not: an unbuilt adapter is a skip, saying so).
func validExec(kind string) bool {
	if kind == LwIP {
		return true
	}
	if !IsExec(kind) {
		return false
	}
	_, err := ExecCommand(kind)
	return err == nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || slices.Contains([]rune("-_./:=@+,"), r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
