package conformance

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tcpbed/tcpbed/harness"
)

// Deviation is a named, documented departure of a reference peer from the
// RFC. Expectations come from the RFCs; where gVisor or Linux
// does something else, the scenario accepts that peer's behaviour only
// under a registered Deviation, and the run reports which one it saw.
type Deviation struct {
	// Name is kebab-case and unique ("gvisor-rst-in-time-wait").
	Name string
	// Peer is the peer kind that deviates ("gvisor", "linux"), or for a
	// stack in another process the name its HELLO gives ("lwip"), which
	// may stand at either end whatever command runs it.
	Peer string
	// RFC cites the rule ("RFC 9293 3.10.7.4").
	RFC string
	// Expected is what the RFC asks; Instead is what the peer does.
	Expected, Instead string
	// Source is where the peer's code does it: function and file, where
	// the code is readable.
	Source string
	// Shown is the command that shows it: scenario, pairing and seed.
	Shown string
}

func (d Deviation) String() string {
	return fmt.Sprintf("%s (%s, %s): the RFC expects %s; %s instead: %s", d.Name, d.Peer, d.RFC, d.Expected, d.Peer, d.Instead)
}

var deviations = map[string]Deviation{}

// RegisterDeviation adds d to the list of known deviations. Scenario files
// call it from a package-level var; it panics on a duplicate name (a
// programming error the first test run catches).
func RegisterDeviation(d Deviation) Deviation {
	if d.Name == "" || d.Peer == "" || d.RFC == "" {
		panic("conformance: a deviation needs a name, a peer and an RFC section")
	}
	if _, dup := deviations[d.Name]; dup {
		panic("conformance: deviation " + d.Name + " registered twice")
	}
	deviations[d.Name] = d
	return d
}

// KnownDeviations lists every registered deviation, by name.
func KnownDeviations() []Deviation {
	out := make([]Deviation, 0, len(deviations))
	for _, d := range deviations {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// atEitherEnd reports whether peer stands at one end of the run: a peer
// kind of the pairing, or the name a stack in another process gives
// itself (its Peer.Name is "exec:" and that name).
func (e *Env) atEitherEnd(peer string) bool {
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		kind := e.Pairing.Client
		if side == harness.Server {
			kind = e.Pairing.Server
		}
		if kind == peer {
			return true
		}
		if p := e.Net.Peer(side); p != nil && strings.TrimPrefix(p.Name(), "exec:") == peer {
			return true
		}
	}
	return false
}

// Deviates records that this run accepted deviation d. It fails the
// scenario if d belongs to a peer that is not at either end of the run:
// ourstack never gets a deviation.
func (e *Env) Deviates(d Deviation) {
	if _, ok := deviations[d.Name]; !ok {
		e.Fail("a registered deviation", "unregistered deviation "+d.Name)
	}
	if !e.atEitherEnd(d.Peer) {
		e.Fail("the RFC's behaviour from "+e.Pairing.String(),
			"behaviour only "+d.Peer+" may show: "+d.String())
	}
	if !slices.Contains(e.notes.deviations, d.Name) {
		e.notes.deviations = append(e.notes.deviations, d.Name)
	}
}

// EndAccepting records deviation d and ends the scenario here, passed: d
// leaves nothing more of what the scenario is about to check (a handshake
// the deviating end never retransmits cannot complete). The cell is still
// judged as every cell is (judge_cell.go).
func (e *Env) EndAccepting(d Deviation) {
	e.Deviates(d)
	panic(endAccepted{})
}

// ErrShownByFuzzInput is ShownRun's answer for a deviation a fuzzer found:
// its committed input, not a scenario, replays it.
var ErrShownByFuzzInput = errors.New("shown by a committed fuzz input")

// ShownRun is the run d.Shown names ("go run ./cmd/tcpbed run SCENARIO
// --client A --server B [--family ipv6] [--seed N]"), for a test to replay
// it; ErrShownByFuzzInput for a fuzz input, another error for a command
// that names no registered scenario.
func (d Deviation) ShownRun() (Scenario, RunOptions, error) {
	if strings.HasPrefix(d.Shown, "go test ./fuzz -run 'Fuzz") {
		return Scenario{}, RunOptions{}, ErrShownByFuzzInput
	}
	const prefix = "go run ./cmd/tcpbed run "
	fields := strings.Fields(strings.TrimPrefix(d.Shown, prefix))
	if !strings.HasPrefix(d.Shown, prefix) || len(fields) == 0 {
		return Scenario{}, RunOptions{}, fmt.Errorf("%s: Shown %q is neither a tcpbed run command nor a fuzz input", d.Name, d.Shown)
	}
	s, ok := Lookup(fields[0])
	if !ok {
		return Scenario{}, RunOptions{}, fmt.Errorf("%s: Shown names scenario %q, which is not registered", d.Name, fields[0])
	}
	opts := RunOptions{Seed: 1}
	for i := 1; i+1 < len(fields); i += 2 {
		switch v := fields[i+1]; fields[i] {
		case "--client":
			opts.Pairing.Client = v
		case "--server":
			opts.Pairing.Server = v
		case "--family":
			if v == "ipv6" {
				opts.Pairing.Family = IPv6
			}
		case "--seed":
			if _, err := fmt.Sscan(v, &opts.Seed); err != nil {
				return Scenario{}, RunOptions{}, fmt.Errorf("%s: Shown %q: seed %q", d.Name, d.Shown, v)
			}
		}
	}
	return s, opts, nil
}
