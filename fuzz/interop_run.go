package fuzz

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/ours"
)

// interopMSL is both stacks' maximum segment lifetime: TIME-WAIT lasts
// 2*interopMSL (RFC 9293 3.4.2; 30 s is ourstack's and gVisor's default).
const interopMSL = 30 * time.Second

// interopPatience is how much virtual time the end of a run allows, after
// the faults are lifted, for both ends to read to the end and then for
// every timer to run out. ourstack's retransmission timer backs off to 60 s
// and gVisor's to 120 s, so one more retransmission is at most that far
// away; TIME-WAIT is 60 s and a FIN-WAIT-2 timeout as long.
const interopPatience = 15 * time.Minute

const interopPort = 80

// interopPairing is which stack plays which side.
type interopPairing struct {
	name           string
	client, server string
}

var (
	oursDials   = interopPairing{"ours->gvisor", "ours", "gvisor"}
	gvisorDials = interopPairing{"gvisor->ours", "gvisor", "ours"}
	gvisorPair  = interopPairing{"gvisor<->gvisor", "gvisor", "gvisor"}
)

func interopPeer(kind string) harness.PeerMaker {
	if kind == "ours" {
		return ours.NewPeer(ours.Options{Settings: harness.TCPSettings{MSL: interopMSL}})
	}
	return gvisor.NewPeer(gvisor.Options{Settings: harness.TCPSettings{MSL: interopMSL}})
}

// interopRun is one program run in one pairing.
type interopRun struct {
	pairing interopPairing
	prog    *interopProgram
	net     *harness.Net
	ends    [2]*interopEnd
	id      harness.FourTuple // the connection, from the client's side
	// aborts are when each side's application aborted (-1: never).
	abortAt [2]time.Duration
	// fatal is a run that could not go on (livelock, a harness error).
	fatal error
	// violations the oracle found; empty means the run passed.
	violations []string
	// stuck says how the ending did not finish.
	stuck string
	// finalStates are the connection's states at both ends when the run
	// was over, before Net.Close; timersLeft, whether any timer was armed
	// then.
	finalStates [2]harness.State
	timersLeft  bool
	// deviation names a known gVisor deviation (interop_deviations_test.go)
	// that excused what the oracle would otherwise have failed.
	deviation string
}

func (r *interopRun) violate(format string, args ...any) {
	r.violations = append(r.violations, fmt.Sprintf(format, args...))
}

// runInterop runs prog in pairing p and checks it with the oracle. The Net
// is closed when it returns; its trace is still there to read.
func runInterop(prog *interopProgram, p interopPairing) *interopRun {
	goroutines := runtime.NumGoroutine()
	r := &interopRun{pairing: p, prog: prog, abortAt: [2]time.Duration{-1, -1}}
	n, err := harness.NewNet(harness.Config{Seed: prog.seed, Client: interopPeer(p.client), Server: interopPeer(p.server)})
	if err != nil {
		r.fatal = err
		return r
	}
	r.net = n
	r.ends = [2]*interopEnd{{side: harness.Client, kind: p.client}, {side: harness.Server, kind: p.server}}
	r.fatal = r.play()
	for _, s := range []harness.Side{harness.Client, harness.Server} {
		r.finalStates[s] = n.State(s, r.ourID(s))
	}
	_, r.timersLeft = n.NextEvent()
	for _, e := range r.ends {
		r.violations = append(r.violations, e.violations...)
	}
	if r.deviation = r.excusedStall(); r.deviation == "" && r.stuck != "" {
		r.violate("%s", r.stuck)
	}
	if r.fatal == nil && r.deviation == "" {
		// Before Close, which resets whatever is left.
		r.checkFinalStates()
	}
	n.Close()
	if r.fatal == nil {
		r.checkTimeWait()
		r.checkOurPaths()
	}
	if leaked := waitGoroutines(goroutines); leaked > 0 {
		r.violate("%d goroutines still running after Net.Close (%d before the run)", leaked, goroutines)
	}
	return r
}

// play runs the program, then the ending: faults lifted, both sides read
// to the end and half-close, then close, then every timer runs out.
func (r *interopRun) play() error {
	n := r.net
	l, err := n.Server().Listen(interopPort)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if err := n.Settle(); err != nil {
		return err
	}
	c, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(harness.Server), interopPort))
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	r.ends[harness.Client].conn = c
	r.id = c.ID()
	pump := func() bool {
		if r.ends[harness.Server].conn == nil {
			if s, err := l.Accept(); err == nil {
				r.ends[harness.Server].conn = s
				r.ends[harness.Server].ready = true
			}
		}
		for _, s := range []harness.Side{harness.Client, harness.Server} {
			e := r.ends[s]
			wasAborted := e.aborted
			e.pump(r.ends[s.Other()])
			if e.aborted && !wasAborted {
				r.abortAt[s] = n.Now()
			}
		}
		return false
	}
	// run lets virtual time pass, the applications acting as soon as they
	// can at every instant on the way.
	run := func(d time.Duration) error {
		until := n.Now() + d
		err := n.RunUntil("", d, pump)
		var nr *harness.ErrNotReached
		if err != nil && !errors.As(err, &nr) {
			return err
		}
		return n.AdvanceTo(until)
	}

	for _, s := range r.prog.steps {
		switch s.op {
		case opAdvance:
			if err := run(s.d); err != nil {
				return err
			}
			continue
		case opFault:
			n.AddRule(s.rule.rule())
		case opHeal:
			n.ClearRules()
		default:
			r.ends[s.side].queue = append(r.ends[s.side].queue, s)
		}
		pump()
		if err := n.Settle(); err != nil {
			return err
		}
		pump()
	}

	// The ending: a well-behaved application on each side reads to the end
	// and half-closes once its writes are done.
	n.ClearRules()
	for _, e := range r.ends {
		e.queue = append(e.queue, interopStep{op: opCloseWrite, side: e.side})
	}
	finished := func() bool {
		pump()
		for _, s := range []harness.Side{harness.Client, harness.Server} {
			r.ends[s].read(r.ends[s.Other()], -1)
		}
		cl, sv := r.ends[harness.Client], r.ends[harness.Server]
		// A server that never got its connection is done when the client is.
		return cl.done() && (sv.done() || sv.conn == nil && cl.end != endOpen && cl.end != endEOF)
	}
	err = n.RunUntil("both ends to read to the end", interopPatience, finished)
	var nr *harness.ErrNotReached
	if errors.As(err, &nr) {
		if !r.halfOpen() {
			r.stuck = fmt.Sprintf("stuck: with the faults lifted, %s; client %v, server %v", nr, r.describeEnd(harness.Client), r.describeEnd(harness.Server))
			return nil
		}
		// The peer is gone and its RST was lost: a half-open connection
		// (RFC 9293 3.5.2) that nothing on the wire will end. The
		// application gives up waiting and closes, as one with a read
		// timeout would.
	} else if err != nil {
		return err
	}
	l.Close()
	for _, e := range r.ends {
		if e.conn != nil && !e.dropped {
			e.dropped = true
			e.conn.Close()
		}
	}
	if err := n.Quiet(interopPatience); err != nil && !errors.As(err, &nr) {
		return err
	}
	return nil
}

// halfOpen reports whether every side that has not read to the end is
// waiting on a peer whose connection is CLOSED.
func (r *interopRun) halfOpen() bool {
	for _, s := range []harness.Side{harness.Client, harness.Server} {
		e := r.ends[s]
		if e.conn == nil || e.done() {
			continue
		}
		if r.net.State(s.Other(), r.ourID(s.Other())) != harness.Closed {
			return false
		}
	}
	return true
}

func (r *interopRun) describeEnd(s harness.Side) string {
	e := r.ends[s]
	st := "no connection"
	if e.conn != nil {
		st = e.conn.State().String()
	}
	return fmt.Sprintf("%s: read %d of %d, %v, %d ops waiting", st, e.readN, r.ends[s.Other()].written, e.end, len(e.queue))
}

// waitGoroutines waits (in real time: this is goroutine teardown, not a
// TCP timer) for the goroutine count to fall back to before, and returns how
// many are left over.
func waitGoroutines(before int) int {
	for i := range 2000 {
		if runtime.NumGoroutine() <= before {
			return 0
		}
		if i < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	return runtime.NumGoroutine() - before
}

// report is the run's failure message: the pairing, the program, what the
// oracle found, and the end of the trace.
func (r *interopRun) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: program: %s\n", r.pairing.name, r.prog)
	if r.fatal != nil {
		fmt.Fprintf(&b, "  run failed: %v\n", r.fatal)
	}
	for _, v := range r.violations {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	if r.net != nil {
		var t strings.Builder
		r.net.Trace().Format(&t, harness.FormatOptions{StateChanges: true})
		lines := strings.Split(t.String(), "\n")
		if len(lines) > 60 {
			b.WriteString("  ... trace's last 60 lines:\n")
			lines = lines[len(lines)-60:]
		}
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}

// ourID is the connection's four-tuple seen from side.
func (r *interopRun) ourID(side harness.Side) harness.FourTuple {
	if side == harness.Client {
		return r.id
	}
	return harness.FourTuple{LocalAddr: r.id.RemoteAddr, LocalPort: r.id.RemotePort, RemoteAddr: r.id.LocalAddr, RemotePort: r.id.LocalPort}
}

// checkInteropProgram runs prog in the three pairings and fails t with a
// report of each run the oracle rejects and each difference not allowed.
func checkInteropProgram(t fuzzT, prog *interopProgram) [3]*interopRun {
	t.Helper()
	var runs [3]*interopRun
	rejected := false // t.Failed, which go-118-fuzz-build's stand-in lacks
	for i, p := range []interopPairing{oursDials, gvisorDials, gvisorPair} {
		runs[i] = runInterop(prog, p)
		if runs[i].fatal != nil || len(runs[i].violations) > 0 {
			t.Error(runs[i].report())
			rejected = true
		}
	}
	if rejected {
		return runs
	}
	for _, r := range runs {
		if r.deviation != "" {
			t.Logf("%s: known gVisor deviation %s; no differential for this input", r.pairing.name, r.deviation)
			return runs
		}
	}
	for _, r := range runs[:2] {
		if diff, _ := compareOutcomes(r, runs[2]); diff != "" {
			t.Errorf("%s and %s differ: %s\nprogram: %s\n%s", r.pairing.name, runs[2].pairing.name, diff, prog, r.report())
		}
	}
	return runs
}
