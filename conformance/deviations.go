package conformance

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Deviation is a named, documented departure of a reference peer from the
// RFC. Expectations come from the RFCs; where gVisor (or, later, Linux)
// does something else, the scenario accepts that peer's behaviour only
// under a registered Deviation, and the run reports which one it saw.
type Deviation struct {
	// Name is kebab-case and unique ("gvisor-rst-in-time-wait").
	Name string
	// Peer is the peer kind that deviates ("gvisor", "linux").
	Peer string
	// RFC cites the rule ("RFC 9293 3.10.7.4").
	RFC string
	// Expected is what the RFC asks; Instead is what the peer does.
	Expected, Instead string
}

func (d Deviation) String() string {
	return fmt.Sprintf("%s (%s, %s): the RFC expects %s; %s does %s", d.Name, d.Peer, d.RFC, d.Expected, d.Peer, d.Instead)
}

var (
	deviations = map[string]Deviation{}
	// seen records, per running Env, the deviations it accepted.
	seen sync.Map // *Env -> *[]string
	// seenMu guards the slices stored in seen.
	seenMu sync.Mutex
)

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

// Deviates records that this run accepted deviation d. It fails the
// scenario if d belongs to a peer that is not at either end of the run:
// ourstack never gets a deviation.
func (e *Env) Deviates(d Deviation) {
	if _, ok := deviations[d.Name]; !ok {
		e.Fail("a registered deviation", "unregistered deviation "+d.Name)
	}
	if e.Pairing.Client != d.Peer && e.Pairing.Server != d.Peer {
		e.Fail("the RFC's behaviour from "+e.Pairing.String(),
			"behaviour only "+d.Peer+" may show: "+d.String())
	}
	v, _ := seen.LoadOrStore(e, new([]string))
	seenMu.Lock()
	defer seenMu.Unlock()
	list := v.(*[]string)
	if !slices.Contains(*list, d.Name) {
		*list = append(*list, d.Name)
	}
}

// DeviationsSeen lists the deviations this run accepted.
func (e *Env) DeviationsSeen() []string {
	v, ok := seen.Load(e)
	if !ok {
		return nil
	}
	seenMu.Lock()
	defer seenMu.Unlock()
	return slices.Clone(*v.(*[]string))
}
