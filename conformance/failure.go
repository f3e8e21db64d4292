package conformance

import (
	"fmt"
	"os"
	"strings"

	"github.com/tcpbed/tcpbed/conformance/report"
)

// Failure is a failed scenario run: what was expected, what came, the trace
// of the run, and how to replay it.
type Failure struct {
	Scenario string
	Pairing  Pairing
	Seed     uint64
	// Expected and Got say what the failing check wanted and saw.
	Expected, Got string
	// Trace is the run's trace in tcpdump's style, both ends' states beside
	// each packet.
	Trace string
	// Replay is the tcpbed command that runs the same scenario again.
	Replay string
}

func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s (%s, seed %d) failed\n", f.Scenario, f.Pairing, f.Seed)
	fmt.Fprintf(&b, "expected: %s\n", indentRest(f.Expected))
	fmt.Fprintf(&b, "got:      %s\n", indentRest(f.Got))
	if f.Trace != "" {
		fmt.Fprintf(&b, "trace:\n%s", indent(f.Trace))
	}
	fmt.Fprintf(&b, "replay:   %s\n", f.Replay)
	return b.String()
}

// ReplayCommand is the command line that runs scenario name in pairing p
// with seed (report.ReplayCommand). A kind with spaces (exec:PATH ARGS)
// is quoted; the kind "exec" comes with the ExecPeerEnv that names it.
func ReplayCommand(name string, p Pairing, seed uint64) string {
	family := ""
	if p.Family != IPv4 {
		family = p.Family.String()
	}
	cmd := report.ReplayCommand(name, shellQuote(p.Client), shellQuote(p.Server), family, seed)
	if named := os.Getenv(ExecPeerEnv); named != "" && (p.Client == Exec || p.Server == Exec) {
		cmd = ExecPeerEnv + "=" + shellQuote(named) + " " + cmd
	}
	return cmd
}

// failNow is what an Env helper panics with to stop a scenario; Execute
// recovers it.
type failNow struct{ expected, got string }

// endAccepted is what Env.EndAccepting panics with to end a scenario that
// passed; Execute recovers it.
type endAccepted struct{}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("  ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// indentRest indents every line after the first to line up under "expected: ".
func indentRest(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n          ")
}

// Catch runs check, which fails the way a scenario's checks do (Env.Fail,
// Env.Fatalf), and returns that failure, or nil if it passed: for testing
// a check on a trace made by hand.
func Catch(check func()) (f *Failure) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(endAccepted); ok {
				return
			}
			fn, ok := r.(failNow)
			if !ok {
				panic(r)
			}
			f = &Failure{Expected: fn.expected, Got: fn.got}
		}
	}()
	check()
	return nil
}
