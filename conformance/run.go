package conformance

import (
	"errors"
	"fmt"
	"io"
	"runtime"
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
	// HangAfter is how long (real time) a run may make no progress (no
	// packet sent, no settle: a call into a stack that never returns)
	// before it is failed as hung (default DefaultHangAfter).
	HangAfter time.Duration
}

// DefaultHangAfter is RunOptions.HangAfter's default: far longer than any
// single call into a healthy stack takes, even on a loaded machine, and
// short enough that a hung cell ends seconds after it stuck.
const DefaultHangAfter = 10 * time.Second

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

// GomegaString is how Gomega prints a Result (its format.GomegaStringer):
// the run and its verdict. A Gomega matcher formats its actual value
// whether or not its message shows it, and a Result printed by reflection
// walked the Net and every record of its trace: 3.6 of the 3.8 s a failing
// syn-flood gvisor->lneto cell took.
func (r *Result) GomegaString() string {
	verdict := "passed"
	if r.Err != nil {
		verdict = "failed: " + r.Err.Error()
		if len(verdict) > 200 {
			verdict = verdict[:200] + "..."
		}
	}
	return fmt.Sprintf("scenario %s (%s, seed %d) %s", r.Scenario.Name, r.Pairing, r.Seed, verdict)
}

// Transferred reads what a transfer scenario noted of its transfer ("N
// bytes in D of virtual time", catalogue data_lossy.go): its size and how
// long it took; ok is false when the run noted none.
func (r *Result) Transferred() (size int, took time.Duration, ok bool) {
	for _, note := range r.Observations {
		var d string
		if _, err := fmt.Sscanf(note, "%d bytes in %s of virtual time", &size, &d); err == nil {
			if took, err = time.ParseDuration(d); err == nil {
				return size, took, true
			}
		}
	}
	return 0, 0, false
}

// Execute runs scenario s once.
func Execute(s Scenario, opts RunOptions) *Result {
	res := &Result{Scenario: s, Pairing: opts.Pairing, Seed: opts.Seed}
	setup := &Setup{TCP: harness.TCPSettings{MSL: DefaultMSL}, Patience: 2 * time.Minute}
	setup.Net = harness.Config{Seed: opts.Seed, MTU: opts.MTU, Pcap: opts.Pcap}
	setup.Net.ClientAddr, setup.Net.ServerAddr = opts.Pairing.Family.Addrs()
	if opts.Pairing.Family == IPv6 {
		if reason := ipv6Unsupported(opts.Pairing); reason != "" {
			res.Err = fmt.Errorf("%s: %w", reason, harness.ErrUnsupported)
			return res
		}
	}
	if s.Setup != nil {
		s.Setup(setup)
	}
	msl, err := lwipSettings(opts.Pairing, &s, setup)
	if err != nil {
		res.Err = err
		return res
	}
	setup.Net.Seed, setup.Net.Pcap = opts.Seed, opts.Pcap
	if opts.MTU != 0 {
		setup.Net.MTU = opts.MTU
	}
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
	e := &Env{Scenario: s, Pairing: opts.Pairing, Seed: opts.Seed, Net: n, Client: n.Client(), Server: n.Server(),
		MSL: msl, Port: ServerPort, Patience: setup.Patience}
	hangAfter := opts.HangAfter
	if hangAfter <= 0 {
		hangAfter = DefaultHangAfter
	}
	var hung bool
	if res.Err, hung = e.runWatched(hangAfter); hung {
		n.Abandon()
		res.Err = e.hangFailure(res.Err.Error())
		res.Elapsed = n.Now()
		return res
	}
	defer n.Close()
	res.Elapsed = n.Now()
	res.Observations, res.Deviations = e.Observations(), e.DeviationsSeen()
	return res
}

// runWatched runs the scenario and judges the cell on a goroutine of their
// own, and watches the Net's progress from this one: if it stands still
// for hangAfter of real time, the run is stuck inside a call into a stack
// (a sender looping without end, a peer that never answers), and
// runWatched returns at once with hung set and err saying where the
// scenario's goroutine is stuck. That goroutine is left behind: Go cannot
// stop it.
func (e *Env) runWatched(hangAfter time.Duration) (err error, hung bool) {
	done := make(chan error, 1)
	ids := make(chan string, 1)
	go func() {
		ids <- goroutineID()
		err := e.run()
		if broke := e.statesUnreported(); broke != nil {
			err = broke
		}
		if broke := e.peerBroke(); errors.Is(broke, errEndedAccepting) {
			done <- nil // a storm a registered deviation explains: the trace holds nothing more to judge
			return
		} else if broke != nil {
			err = broke
		}
		if err == nil {
			err = e.judgeCell()
		}
		done <- err
	}()
	id := <-ids
	tick := time.NewTicker(min(hangAfter/10, time.Second))
	defer tick.Stop()
	last, since := e.Net.Progress(), time.Now()
	for {
		select {
		case err := <-done:
			return err, false
		case now := <-tick.C:
			if p := e.Net.Progress(); p != last {
				last, since = p, now
				continue
			}
			if now.Sub(since) >= hangAfter {
				return fmt.Errorf("no progress for %v of real time (no packet sent, no settle), the scenario's goroutine stuck in:\n%s",
					now.Sub(since).Round(time.Second), goroutineStack(id)), true
			}
		}
	}
}

// hangFailure is the failure of a run stuck inside a stack, with the
// trace up to where it stuck (the Net is abandoned, so it no longer grows).
func (e *Env) hangFailure(got string) *Failure {
	if err := e.Net.Storm(); err != nil {
		got = err.Error() + "\n" + got
	}
	return e.failure("every call into a stack to return, and the run to go on to its end", got)
}

// goroutineID is the calling goroutine's number, as stack dumps print it.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}

// goroutineStack is the stack of goroutine id, as a dump prints it.
func goroutineStack(id string) string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.HasPrefix(g, "goroutine "+id+" ") {
			return g
		}
	}
	return "(goroutine " + id + " not found)"
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
		if _, ok := r.(endAccepted); ok {
			return
		}
		if s, ok := r.(skipNow); ok {
			err = fmt.Errorf("%s: %w", s.reason, harness.ErrUnsupported)
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
	case Lneto:
		return lnetoPeer(s, setup)
	}
	if IsExec(kind) {
		return execPeer(kind, s, setup)
	}
	return nil, fmt.Errorf("%w %q (valid: %s, %s)", ErrUnknownPeer, kind, strings.Join(PeerKinds, ", "), ExecPeerKinds)
}

// ValidPeer reports whether kind names a peer this package builds: one of
// PeerKinds, or an exec kind that names a program.
func ValidPeer(kind string) bool { return slices.Contains(PeerKinds, kind) || validExec(kind) }
