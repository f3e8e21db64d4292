package bench

import (
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/ours"
)

// Stack kinds, as the harness names its peers.
const (
	Ours   = "ours"
	GVisor = "gvisor"
)

// Pairing names the stacks at the two ends: Client dials (and, in the bulk
// benchmarks, sends), Server listens.
type Pairing struct{ Client, Server string }

// Name is the pairing as a benchmark's sub-name: "ours-gvisor".
func (p Pairing) Name() string { return p.Client + "-" + p.Server }

// Control is the pairing every figure is measured against.
var Control = Pairing{Client: GVisor, Server: GVisor}

// Pairings are the four pairings, the control last (as the report shows
// them).
var Pairings = []Pairing{{Client: Ours, Server: GVisor}, {Client: GVisor, Server: Ours}, {Client: Ours, Server: Ours}, Control}

// benchOrder is the order the benchmarks run the pairings in: the control
// first, so that `go tool benchstat -col /pair` takes it as the base and
// prints every other pairing's change against it.
var benchOrder = []Pairing{Control, {Client: Ours, Server: GVisor}, {Client: GVisor, Server: Ours}, {Client: Ours, Server: Ours}}

// benchName is p's sub-benchmark name: "pair=ours-gvisor", a key=value that
// benchstat can pivot on.
func benchName(p Pairing) string { return "pair=" + p.Name() }

// StackOptions tune both stacks of a pairing alike.
type StackOptions struct {
	// MSL: TIME-WAIT lasts 2*MSL on either stack (0: each stack's default,
	// 30 s).
	MSL time.Duration
	// Backlog is the accept queue of every listener (0: each peer's
	// default).
	Backlog int
}

// maker builds the peer of kind.
func maker(kind string, o StackOptions) harness.PeerMaker {
	settings := harness.TCPSettings{MSL: o.MSL}
	if kind == Ours {
		return ours.NewPeer(ours.Options{Settings: settings, Backlog: o.Backlog})
	}
	return gvisor.NewPeer(gvisor.Options{Settings: settings, Backlog: o.Backlog})
}

// NetConfig is a harness configuration for pairing p over link (both
// directions) at mtu, with no faults.
func NetConfig(p Pairing, mtu int, link harness.LinkConfig, o StackOptions) harness.Config {
	return harness.Config{
		Seed:   1,
		Client: maker(p.Client, o),
		Server: maker(p.Server, o),
		MTU:    mtu,
		Link:   [2]harness.LinkConfig{link, link},
		// A whole send buffer's worth of segments and their ACKs may cross
		// at one virtual instant on a wire with no delay.
		MaxPacketsPerSettle: 1 << 30,
	}
}

// NoDelay is the wire with no link delay: no serialization time and the
// smallest propagation delay the harness allows without a round-trip time
// of zero (harness.Config.Link explains why zero itself is refused).
var NoDelay = harness.LinkConfig{Delay: time.Nanosecond}
