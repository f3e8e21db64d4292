package conformance

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/linux"
	"github.com/tcpbed/tcpbed/harness/ours"
)

// Scenario is one entry of the catalogue.
type Scenario struct {
	// Name is the kebab-case name the CLI and the suites use ("time-wait").
	Name string
	// Section is the Ginkgo label and the catalogue heading ("handshake",
	// "data", "half-close", ...).
	Section string
	// Summary says in one short line what happens; the whole expectation
	// is the doc comment above the scenario's Register.
	Summary string
	// RFCs are the rules the scenario checks, most specific section first
	// where one applies ("RFC 9293 3.10.7.4", "RFC 7323 2.3"): tcpbed list
	// --rfc filters on them.
	RFCs []string
	// Pairings restricts the pairings the scenario makes sense in; nil means
	// every pairing of the stacks (AllPairings).
	Pairings []Pairing
	// Setup, if set, adjusts the run before the Net is built: link model,
	// fault rules, stack options and settings (MSL among them).
	Setup func(*Setup)
	// RealTime says whether the scenario fits a peer on real time (Linux),
	// and RealTimeNote why not, or what observation replaces the wait.
	// A scenario runs with Linux where it runs with gVisor (Pairings with
	// Linux in gVisor's place) unless it is TooSlowForRealTime; Pairings
	// may also name Linux pairings outright.
	RealTime     RealTimeFit
	RealTimeNote string
	// Profile is the link profile the scenario runs on (harness.Profile's
	// name; "" is the LAN of harness.DefaultLink, or the scenario's own
	// link). OnProfiles asks Register to add a copy of the scenario for
	// every longer profile, named <name>-<profile>: a rule about time
	// shows only on a path long enough for it.
	Profile    string
	OnProfiles bool
	// IPv4Only, if set, says why the scenario has no IPv6 form (a rule of
	// IPv4's own, such as its fragments): its IPv6 cells are skipped with
	// that reason.
	IPv4Only string
	// IPv6Only is the same for a rule of IPv6's own (its extension
	// headers): the scenario's IPv4 cells are skipped with that reason.
	IPv6Only string
	// Run drives the Net and checks what happens. It fails through the Env's
	// helpers (or by returning an error).
	Run func(e *Env) error
}

// Setup is what a scenario may change before its Net is built.
type Setup struct {
	// Net is the harness configuration. The runner fills in the seed, peers,
	// MTU and capture; a scenario sets Link and Faults.
	Net harness.Config
	// TCP is what the scenario asks of every stack, whichever runs at an
	// end (its MSL defaults to DefaultMSL): each peer kind translates it into its own options (a PeerMaker
	// of your own reads it from the Setup it is given).
	TCP harness.TCPSettings
	// Ours and GVisor are the stacks' own options, for what only one kind
	// has (or a scenario about one kind), for whichever end runs them.
	Ours   ours.Options
	GVisor gvisor.Options
	// Linux configures a Linux end (sysctls inside its namespace; the zero
	// Config is the usual one).
	Linux linux.Config
	// Patience is how much virtual time an Env helper waits for something
	// to happen (default 2 minutes).
	Patience time.Duration
	// MustOffer are the SYN options the scenario cannot do without from
	// the end where ourstack stands. RFC 2018 and RFC 7323 make offering
	// them optional; ourstack offers both unless told not to, a stack in
	// another process is asked for them in HELLO, and a stack that cannot
	// offer one (built without it, as Debian's lwIP; lneto) cannot run the
	// scenario: a skip, saying which.
	MustOffer OfferedOptions
}

// OfferedOptions are the optional SYN options a scenario may need an end
// to offer.
type OfferedOptions struct {
	SACK       bool // SACK-permitted (RFC 2018 2)
	Timestamps bool // TSopt (RFC 7323 3.2)
}

// Pairing names the stacks at the two ends (Client dials, Server listens)
// and the IP family between them.
type Pairing struct {
	Client, Server string
	Family         Family
}

// String is "client->server", with "/ipv6" after an IPv6 pairing's.
func (p Pairing) String() string {
	if p.Family == IPv6 {
		return p.Client + "->" + p.Server + "/" + p.Family.String()
	}
	return p.Client + "->" + p.Server
}

// Ends is p without its family: which stacks stand where.
func (p Pairing) Ends() Pairing { return Pairing{Client: p.Client, Server: p.Server} }

// In is p in family f.
func (p Pairing) In(f Family) Pairing {
	p.Family = f
	return p
}

// The peer kinds a pairing may name.
const (
	Ours   = "ours"
	GVisor = "gvisor"
)

// PeerKinds are the valid peer names, for a pairing and the CLI.
var PeerKinds = []string{Ours, GVisor, Linux, LwIP, Lneto}

// AllPairings are the four pairings every scenario runs in unless it says
// otherwise: ours dials gVisor, gVisor dials ours, ours with itself, and
// gVisor with itself (the control that proves the harness and the
// expectation).
var AllPairings = []Pairing{{Client: Ours, Server: GVisor}, {Client: GVisor, Server: Ours}, {Client: Ours, Server: Ours}, {Client: GVisor, Server: GVisor}}

// RunsIn reports whether the scenario makes sense in pairing p.
// A pairing with Linux counts when the scenario names it, or runs with
// gVisor in Linux's place and fits a real-time peer. A pairing with an
// exec or lneto stack counts where the scenario runs with ourstack in its
// place (AsOurs).
func (s *Scenario) RunsIn(p Pairing) bool {
	switch {
	case p.Family == IPv4 && s.IPv6Only != "":
		return false
	case p.Family == IPv6 && (s.IPv4Only != "" || ipv6Unsupported(p) != ""):
		return false
	}
	p = p.Ends()
	if IsExecPairing(p) || IsLnetoPairing(p) {
		return s.RunsIn(AsOurs(p))
	}
	if s.Pairings == nil {
		if slices.Contains(AllPairings, p) {
			return true
		}
	} else if slices.Contains(s.Pairings, p) {
		return true
	}
	if !IsLinuxPairing(p) || s.RealTime == TooSlowForRealTime {
		return false
	}
	g := AsGVisor(p)
	if s.Pairings == nil {
		return slices.Contains(AllPairings, g)
	}
	return slices.Contains(s.Pairings, g)
}

// PairingsOrAll is the pairings the scenario runs in, in the order of
// MatrixPairings, then any other it names.
func (s *Scenario) PairingsOrAll() []Pairing {
	var out []Pairing
	for _, p := range MatrixPairings {
		if s.RunsIn(p) {
			out = append(out, p)
		}
	}
	for _, p := range s.Pairings {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// SectionOrder is the order of the catalogue's sections (SCENARIOS.md).
var SectionOrder = []string{
	"handshake", "data", "half-close", "simultaneous-open", "simultaneous-close",
	"time-wait", "rst", "loss", "flood", "keepalive",
}

var catalogue []Scenario

// Register adds scenarios to the catalogue (conformance/catalogue's files,
// a test's own scenario, a private catalogue) from a package-level var. Call
// it before All or Lookup is used; it is not safe for concurrent use. It
// panics on a duplicate or malformed entry, a programming error the first
// test run catches.
func Register(ss ...Scenario) bool {
	for _, s := range ss {
		if s.Name == "" || s.Section == "" || s.Run == nil {
			panic(fmt.Sprintf("conformance: scenario %q needs a name, a section and a Run", s.Name))
		}
		if _, dup := Lookup(s.Name); dup {
			panic("conformance: scenario " + s.Name + " registered twice")
		}
		catalogue = append(catalogue, s)
		if s.OnProfiles {
			for _, p := range harness.Profiles()[1:] {
				Register(s.onProfile(p))
			}
		}
	}
	return true
}

// Checks says whether s checks a rule of the RFC section rfc: "9293",
// "RFC 9293 3.10" and "9293 3.10.7.4" all match a scenario citing RFC 9293
// 3.10.7.4, and "9293 3.1" does not (a section number is matched whole).
func (s *Scenario) Checks(rfc string) bool {
	want := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rfc), "RFC "))
	for _, r := range s.RFCs {
		have := strings.TrimPrefix(r, "RFC ")
		if have == want || strings.HasPrefix(have, want+" ") || strings.HasPrefix(have, want+".") {
			return true
		}
	}
	return false
}

// ProfileName is the name of the link profile s runs on.
func (s *Scenario) ProfileName() string {
	if s.Profile == "" {
		return harness.LAN.Name
	}
	return s.Profile
}

// onProfile is s on the path p, both ways.
func (s Scenario) onProfile(p harness.Profile) Scenario {
	v := s
	v.Name = s.Name + "-" + p.Name
	v.Profile, v.OnProfiles = p.Name, false
	v.Summary = s.Summary + " (" + p.Name + " path)"
	v.Setup = func(st *Setup) {
		if s.Setup != nil {
			s.Setup(st)
		}
		st.Net.Link = [2]harness.LinkConfig{p.Link, p.Link}
	}
	v.RealTime = TooSlowForRealTime
	v.RealTimeNote = "the " + p.Name + " path's delays are on virtual time: a kernel on real time would never see them"
	return v
}

// listed is the catalogue's explicit order (List), by scenario name.
var listed = map[string]int{}

// List sets the order in which All returns the scenarios: a catalogue
// names every scenario it registers once, in the order a reader should
// meet them. Scenarios it does not name come after, in the order they were
// registered; a profile's copy of a scenario comes right after it.
func List(names ...string) {
	for i, n := range names {
		listed[n] = i
	}
}

// All returns every scenario, by section (in SectionOrder, unknown sections
// last) and then in the catalogue's order (List).
func All() []Scenario {
	out := slices.Clone(catalogue)
	section := func(s Scenario) int {
		if i := slices.Index(SectionOrder, s.Section); i >= 0 {
			return i
		}
		return len(SectionOrder)
	}
	place := func(s Scenario) int {
		name := s.Name
		if s.Profile != "" {
			name = strings.TrimSuffix(name, "-"+s.Profile)
		}
		if i, ok := listed[name]; ok {
			return i
		}
		return len(listed)
	}
	slices.SortStableFunc(out, func(a, b Scenario) int {
		if c := cmp.Compare(section(a), section(b)); c != 0 {
			return c
		}
		return cmp.Compare(place(a), place(b))
	})
	return out
}

// Lookup finds a scenario by name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range catalogue {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Names lists every scenario's name, in All's order.
func Names() []string {
	var names []string
	for _, s := range All() {
		names = append(names, s.Name)
	}
	return names
}
