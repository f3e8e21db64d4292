package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/conformance"
	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios
	"github.com/tcpbed/tcpbed/harness"
)

// peerBin is tcpbed-peer, built for the tests by TestMain: the tests run
// scenarios with it as an exec peer, as a user's stack would run.
var peerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tcpbed-peer-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	peerBin = filepath.Join(dir, "tcpbed-peer")
	build := exec.Command(goTool(), "build", "-o", peerBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/tcpbed-peer: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goTool is the go command that runs these tests.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// served is the exec kind of tcpbed-peer serving stack, with flags.
func served(stack string, flags ...string) string {
	return "exec:" + strings.Join(append(append([]string{peerBin}, flags...), stack), " ")
}

// execute runs scenario name in pairing p with seed.
func execute(t *testing.T, name string, p conformance.Pairing, seed uint64) *conformance.Result {
	t.Helper()
	s, ok := conformance.Lookup(name)
	if !ok {
		t.Fatalf("no scenario %q", name)
	}
	return conformance.Execute(s, conformance.RunOptions{Pairing: p, Seed: seed})
}

// conformanceCheck are scenarios from every part of a connection's life,
// the protocol's every request among them: the handshake, data both ways,
// a bulk transfer, data over a lossy wire (the stack's retransmission
// timers on the virtual clock), half-close, simultaneous close (a FIN
// lost), TIME-WAIT (2MSL on the virtual clock, a reuse dialed from a
// chosen port), resets and aborts, and keep-alive (a socket option).
var conformanceCheck = []string{
	"handshake", "echo", "bulk-transfer", "fast-retransmit", "half-close", "close-unread",
	"simultaneous-close", "simultaneous-close-loss", "time-wait", "time-wait-reuse", "time-wait-rst",
	"abort", "abort-server", "rst-validation", "rst-in-close-wait", "syn-in-established", "keepalive",
}

// cutWrites are the cells of conformanceCheck whose served stack writes
// more than one WRITE carries (peerproto.MaxData): tcpbed cuts the write
// into several, and a stack that sends at once (Nagle off) ends each with
// a short segment that one whole write in process does not. The
// application's calls differ, so the packets may; the verdict and the
// deviations must not.
var cutWrites = map[string]bool{"time-wait-reuse/ours->exec": true, "time-wait-reuse/ours->exec/ipv6": true}

// The protocol's conformance check: ourstack served by tcpbed-peer, at
// either end, against gVisor and ourstack, passes every scenario it passes
// in process, and the trace is the same to the byte: the same packets at
// the same virtual instants (the same seed gives it the same ISNs and
// ports), with the same state changes.
func TestServedOurstackRunsAsItDoesInProcess(t *testing.T) {
	exe := served("ours")
	for _, name := range conformanceCheck {
		for _, p := range []conformance.Pairing{{Client: "X", Server: "gvisor"}, {Client: "gvisor", Server: "X"}, {Client: "X", Server: "ours"}, {Client: "ours", Server: "X"}} {
			// IPv4 over version 1 of the protocol, IPv6 over version 2.
			for _, family := range conformance.Families {
				p.Family = family
				in := conformance.Pairing{Client: strings.Replace(p.Client, "X", "ours", 1), Server: strings.Replace(p.Server, "X", "ours", 1), Family: family}
				out := conformance.Pairing{Client: strings.Replace(p.Client, "X", exe, 1), Server: strings.Replace(p.Server, "X", exe, 1), Family: family}
				t.Run(name+"/"+strings.ReplaceAll(p.String(), "X", "exec"), func(t *testing.T) {
					want, got := execute(t, name, in, 3), execute(t, name, out, 3)
					if (want.Err == nil) != (got.Err == nil) {
						t.Fatalf("in process: %v\nserved: %v", want.Err, got.Err)
					}
					if got.Err != nil {
						t.Logf("fails both in process and served: %v", got.Err)
					}
					if !cutWrites[name+"/"+strings.ReplaceAll(p.String(), "X", "exec")] {
						sameRun(t, want.Net.Trace(), got.Net.Trace(), want.Elapsed)
					}
					if fmt.Sprint(want.Deviations) != fmt.Sprint(got.Deviations) {
						t.Errorf("deviations %v in process, %v served", want.Deviations, got.Deviations)
					}
				})
			}
		}
	}
}

// sameRun fails t unless the served run's trace is the in-process one:
// the same packets, each with both ends' states beside it, and each end's
// state changes, but for those the Net's Close brings about after the run
// (at the run's end, ourstack in process reports its connections closing
// as the Net closes it; a served stack's process just exits).
func sameRun(t *testing.T, inProcess, served *harness.Trace, end time.Duration) {
	t.Helper()
	var a, b strings.Builder
	inProcess.Format(&a, harness.FormatOptions{Absolute: true})
	served.Format(&b, harness.FormatOptions{Absolute: true})
	if a.String() != b.String() {
		t.Fatalf("the packets differ:\nin process:\n%s\nserved:\n%s", firstLines(a.String(), 40), firstLines(b.String(), 40))
	}
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		want, got := changesOf(inProcess, side), changesOf(served, side)
		if len(got) > len(want) {
			t.Fatalf("%s: %d state changes served, %d in process", side, len(got), len(want))
		}
		for i, c := range want {
			if i >= len(got) {
				if c.To != harness.Closed || c.At < end {
					t.Errorf("%s: state change %d in process only: %v -> %v at %v", side, i, c.From, c.To, c.At)
				}
				continue
			}
			if s := got[i]; s.ID != c.ID || s.From != c.From || s.To != c.To || s.At != c.At {
				t.Fatalf("%s: state change %d: in process %v %v -> %v at %v, served %v %v -> %v at %v",
					side, i, c.ID, c.From, c.To, c.At, s.ID, s.From, s.To, s.At)
			}
		}
	}
}

func changesOf(t *harness.Trace, side harness.Side) []harness.StateChange {
	var out []harness.StateChange
	for _, c := range t.Changes {
		if c.Side == side {
			out = append(out, c)
		}
	}
	return out
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// One seed, one trace, to the byte, with a stack in another process at
// each end.
func TestSameSeedSameTrace(t *testing.T) {
	for _, p := range []conformance.Pairing{{Client: served("ours"), Server: "gvisor"}, {Client: served("gvisor"), Server: served("ours")}} {
		trace := func() string {
			res := execute(t, "fast-retransmit", p, 77)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			var b strings.Builder
			res.Net.Trace().Format(&b, harness.FormatOptions{Absolute: true, StateChanges: true})
			return b.String()
		}
		if a, b := trace(), trace(); a != b || !strings.Contains(a, "Flags [P.]") || !strings.Contains(a, "DROPPED") {
			t.Fatalf("%s: two runs with seed 77 differ (or show no data, or no loss)", p)
		}
	}
}

// ADVANCE_UNTIL saves round trips and nothing else: a stack served with it
// runs as one served without it (--no-advance-until), packet for packet,
// instant for instant, with the same state changes and the same verdict,
// through timers of every kind (keep-alive, TIME-WAIT, retransmission
// backoff, delayed ACK, zero-window probes), at either end.
func TestAdvanceUntilChangesNoPacket(t *testing.T) {
	for _, name := range []string{"keepalive", "time-wait", "rto-backoff", "delayed-ack", "zero-window"} {
		for _, stack := range []string{"ours", "gvisor"} {
			for _, server := range []bool{false, true} {
				pair := func(x string) conformance.Pairing {
					if server {
						return conformance.Pairing{Client: "gvisor", Server: x}
					}
					return conformance.Pairing{Client: x, Server: "gvisor"}
				}
				with, without := pair(served(stack)), pair(served(stack, "--no-advance-until"))
				t.Run(name+"/"+strings.ReplaceAll(with.String(), peerBin, "tcpbed-peer"), func(t *testing.T) {
					run := func(p conformance.Pairing) (string, error) {
						res := execute(t, name, p, 5)
						var b strings.Builder
						res.Net.Trace().Format(&b, harness.FormatOptions{Absolute: true, StateChanges: true})
						return b.String(), res.Err
					}
					want, wantErr := run(without)
					got, gotErr := run(with)
					if (wantErr == nil) != (gotErr == nil) {
						t.Fatalf("without ADVANCE_UNTIL: %v\nwith it: %v", wantErr, gotErr)
					}
					if got != want {
						t.Fatalf("the runs differ:\nwithout ADVANCE_UNTIL:\n%s\nwith it:\n%s", firstLines(want, 40), firstLines(got, 40))
					}
				})
			}
		}
	}
}

// A stack that breaks the protocol fails its cell within seconds, and the
// failure says what the stack did, with the trace up to then and the
// command that replays it.
func TestMisbehavingStackFailsItsCell(t *testing.T) {
	t.Setenv(conformance.ExecTimeoutEnv, "1s")
	for _, tc := range []struct{ fault, want string }{
		{"crash@12", "exited (exit status 3) while answering"},
		{"hang@12", "did not answer within 1s of real time"},
		{"garbage@12", "sent a frame whose length field is 4294967295"},
		{"malformed-packet@6", "sent a malformed IPv4 packet"},
		{"wrong-reply@12", "answer"}, // "answered X with ..." or "replied with a Y reply while answering X", as the 12th request falls
	} {
		t.Run(tc.fault, func(t *testing.T) {
			start := time.Now()
			p := conformance.Pairing{Client: served("ours", "--fault", tc.fault), Server: "gvisor"}
			res := execute(t, "echo", p, 1)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the cell took %v to fail", took)
			}
			var f *conformance.Failure
			if !errors.As(res.Err, &f) {
				t.Fatalf("want a failed cell, got %v", res.Err)
			}
			if !strings.Contains(f.Expected, "peer protocol") || !strings.Contains(f.Got, tc.want) || !strings.Contains(f.Got, "(client)") || !strings.Contains(f.Replay, "--fault "+tc.fault) {
				t.Errorf("the failure does not say what the stack did:\n%v", f)
			}
		})
	}
}

// A stack on real time runs what fits real time, as Linux does; a
// scenario that waits on timers for long is skipped, saying why.
func TestRealTimeStack(t *testing.T) {
	rt := served("ours", "--realtime")
	res := execute(t, "echo", conformance.Pairing{Client: rt, Server: "gvisor"}, 1)
	if res.Err != nil {
		t.Errorf("echo with a stack on real time: %v", res.Err)
	}
	res = execute(t, "rto-backoff", conformance.Pairing{Client: "gvisor", Server: rt}, 1)
	if !errors.Is(res.Err, harness.ErrUnsupported) || !strings.Contains(res.Err.Error(), "runs on real time") {
		t.Errorf("rto-backoff with a stack on real time: %v, want a skip that says why", res.Err)
	}
}

// A stack that reports no states skips the scenarios that read them,
// saying so, and runs the others, whose notes say so; one that cannot do
// what a scenario asks skips it too.
func TestWhatAStackCannotDoSkipsTheCell(t *testing.T) {
	stateless := served("ours", "--no-states")
	res := execute(t, "syn-with-data", conformance.Pairing{Client: stateless, Server: "gvisor"}, 1)
	if res.Err != nil || !slices.ContainsFunc(res.Observations, func(o string) bool { return strings.Contains(o, "reports no TCP states") }) {
		t.Errorf("syn-with-data with a stack that reports no states: %v, notes %q; want a pass that says so", res.Err, res.Observations)
	}
	for _, tc := range []struct {
		name string
		p    conformance.Pairing
		want string
	}{
		{"handshake", conformance.Pairing{Client: stateless, Server: "gvisor"}, "reports no TCP states"},
		{"data-on-third-ack", conformance.Pairing{Client: stateless, Server: "gvisor"}, "reads the TCP states of the client stack"},
		{"handshake-options-ours-declines", conformance.Pairing{Client: served("gvisor"), Server: "gvisor"}, "WINDOW_SCALE=0: gVisor always offers window scale"},
	} {
		res := execute(t, tc.name, tc.p, 1)
		if !errors.Is(res.Err, harness.ErrUnsupported) || !strings.Contains(res.Err.Error(), tc.want) {
			t.Errorf("%s in %s: %v, want a skip saying %q", tc.name, tc.p, res.Err, tc.want)
		}
	}
}

// servedOurstackDeparts is a departure registered, for this test only,
// under the name the served ourstack gives in its HELLO.
var servedOurstackDeparts = conformance.RegisterDeviation(conformance.Deviation{
	Name: "test-served-ourstack-departs", Peer: "ourstack (tcpbed-peer)", RFC: "RFC 9293 (a test's stand-in)",
	Expected: "nothing: a test's stand-in", Instead: "nothing: a test's stand-in",
	Source: "cmd/tcpbed-peer/main_test.go", Shown: "go test ./cmd/tcpbed-peer -run TestDeviationByStackName",
})

// A stack in another process has its departures registered under the name
// its HELLO gives, whatever command runs it: accepted when that stack is
// at an end, refused when it is not.
func TestDeviationByStackName(t *testing.T) {
	s := conformance.Scenario{Name: "deviates", Section: "handshake", Run: func(e *conformance.Env) error {
		e.Deviates(servedOurstackDeparts)
		return nil
	}}
	res := conformance.Execute(s, conformance.RunOptions{Pairing: conformance.Pairing{Client: "gvisor", Server: served("ours")}, Seed: 1})
	if res.Err != nil || !slices.Contains(res.Deviations, servedOurstackDeparts.Name) {
		t.Fatalf("with the served ourstack at the server: err %v, deviations %v; want a pass that notes %s", res.Err, res.Deviations, servedOurstackDeparts.Name)
	}
	res = conformance.Execute(s, conformance.RunOptions{Pairing: conformance.Pairing{Client: "gvisor", Server: served("gvisor")}, Seed: 1})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "behaviour only ourstack (tcpbed-peer) may show") {
		t.Fatalf("with no served ourstack at either end: err %v; want the deviation refused", res.Err)
	}
}
