package conformance

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/ours"
)

// DefaultMSL is the maximum segment lifetime of both stacks (RFC 9293 3.4.2
// leaves it to the implementation; 30 s is gVisor's and ourstack's).
const DefaultMSL = 30 * time.Second

// RunOptions choose how to run a scenario.
type RunOptions struct {
	Pairing Pairing
	Seed    uint64
	// MTU of the wire (default 1500).
	MTU int
	// Pcap, if set, receives a capture of the run.
	Pcap io.Writer
	// Peers, if set, builds peers in place of (or beyond) "ours", "gvisor",
	// "linux" and the exec kinds (a test's stand-in: a Linux peer that
	// cannot be built); it is asked first and returns nil for a kind it
	// leaves to Execute.
	Peers func(kind string, setup *Setup) harness.PeerMaker
}

// Result is one scenario run.
type Result struct {
	Scenario Scenario
	Pairing  Pairing
	Seed     uint64
	// Net is the run's Net, closed; its Trace holds every packet.
	Net *harness.Net
	// Err is nil when the scenario passed, a *Failure when a check failed,
	// and another error when the run could not start.
	Err error
	// Elapsed is the virtual time the run took.
	Elapsed time.Duration
	// Observations are the allowed behaviours the run noted seeing, and
	// Deviations the registered peer deviations it accepted (by name).
	Observations, Deviations []string
}

// ServerPort is the port every scenario's server listens on. No Wireshark
// or tshark dissector claims it by default (tshark -G decodes lists none
// for tcp.port 7357), so a capture's payload is not decoded as some
// protocol it is not: on port 80 Wireshark raised HTTP errors on the
// scenarios' bytes.
const ServerPort = 7357

// ErrUnknownPeer: a pairing names a peer kind nobody can build.
var ErrUnknownPeer = errors.New("unknown peer")

// Execute runs scenario s once.
func Execute(s Scenario, opts RunOptions) *Result {
	res := &Result{Scenario: s, Pairing: opts.Pairing, Seed: opts.Seed}
	setup := &Setup{TCP: harness.TCPSettings{MSL: DefaultMSL}, Patience: 2 * time.Minute}
	setup.Net = harness.Config{Seed: opts.Seed, MTU: opts.MTU, Pcap: opts.Pcap}
	if s.Setup != nil {
		s.Setup(setup)
	}
	setup.Net.Seed, setup.Net.Pcap = opts.Seed, opts.Pcap
	if opts.MTU != 0 {
		setup.Net.MTU = opts.MTU
	}
	var err error
	if setup.Net.Client, err = peerMaker(opts.Pairing.Client, &s, setup, opts.Peers); err != nil {
		res.Err = err
		return res
	}
	if setup.Net.Server, err = peerMaker(opts.Pairing.Server, &s, setup, opts.Peers); err != nil {
		res.Err = err
		return res
	}
	n, err := harness.NewNet(setup.Net)
	if err != nil {
		res.Err = err
		return res
	}
	res.Net = n
	defer n.Close()
	e := &Env{Scenario: s, Pairing: opts.Pairing, Seed: opts.Seed, Net: n, Client: n.Client(), Server: n.Server(),
		MSL: setup.TCP.MSL, Port: ServerPort, Patience: setup.Patience}
	res.Err = e.run()
	if err := e.statesUnreported(); err != nil {
		res.Err = err
	}
	if err := e.peerBroke(); err != nil {
		res.Err = err
	}
	if res.Err == nil {
		res.Err = e.judgeCell()
	}
	res.Elapsed = n.Now()
	res.Observations, res.Deviations = e.Observations(), e.DeviationsSeen()
	return res
}

// run calls the scenario's Run, turning a helper's fail-now (or a panic)
// into a *Failure.
func (e *Env) run() (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if f, ok := r.(failNow); ok {
			err = e.failure(f.expected, f.got)
			return
		}
		err = e.failure("the scenario to run to its end", fmt.Sprintf("panic: %v\n%s", r, debug.Stack()))
	}()
	if err := e.Scenario.Run(e); err != nil {
		var f *Failure
		if errors.As(err, &f) {
			return f
		}
		return e.failure("no error", err.Error())
	}
	return nil
}

func (e *Env) failure(expected, got string) *Failure {
	return &Failure{
		Scenario: e.Scenario.Name, Pairing: e.Pairing, Seed: e.Seed,
		Expected: expected, Got: got,
		Trace:  e.Net.Trace().String(),
		Replay: ReplayCommand(e.Scenario.Name, e.Pairing, e.Seed),
	}
}

// peerMaker builds the peer of kind for scenario s's setup.
func peerMaker(kind string, s *Scenario, setup *Setup, extra func(string, *Setup) harness.PeerMaker) (harness.PeerMaker, error) {
	if extra != nil {
		if mk := extra(kind, setup); mk != nil {
			return mk, nil
		}
	}
	switch kind {
	case Ours:
		opts := setup.Ours
		opts.Settings = setup.TCP.With(opts.Settings)
		return ours.NewPeer(opts), nil
	case GVisor:
		opts := setup.GVisor
		opts.Settings = setup.TCP.With(opts.Settings)
		return gvisor.NewPeer(opts), nil
	case Linux:
		return linuxPeer(setup), nil
	}
	if IsExec(kind) {
		return execPeer(kind, s, setup)
	}
	return nil, fmt.Errorf("%w %q (valid: %s, %s)", ErrUnknownPeer, kind, strings.Join(PeerKinds, ", "), ExecPeerKinds)
}

// ValidPeer reports whether kind names a peer this package builds: one of
// PeerKinds, or an exec kind that names a program.
func ValidPeer(kind string) bool { return slices.Contains(PeerKinds, kind) || validExec(kind) }
