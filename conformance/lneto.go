package conformance

import (
	"fmt"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/lneto"
	"github.com/tcpbed/tcpbed/harness/ours"
)

// Lneto is the peer kind of github.com/soypat/lneto's TCP/IPv4 stack
// (harness/lneto), a sans-I/O stack written independently of gVisor and
// of ourstack, run in process on the Net's clock.
const Lneto = "lneto"

// LnetoPairings are lneto against both of tcpbed's stacks, both ways, and
// with itself: the matrix's columns for it.
var LnetoPairings = []Pairing{{Client: Lneto, Server: GVisor}, {Client: GVisor, Server: Lneto}, {Client: Lneto, Server: Ours}, {Client: Ours, Server: Lneto}, {Client: Lneto, Server: Lneto}}

// IsLnetoPairing reports whether p has a lneto end.
func IsLnetoPairing(p Pairing) bool { return p.Client == Lneto || p.Server == Lneto }

// lnetoPeer builds a lneto peer. Like a stack in another process it stands
// where ourstack would (AsOurs), is judged by the RFCs (and its registered
// deviations), and takes what the scenario asks of that end: the settings
// of every stack, and those of ourstack's own switches lneto can follow
// (buffers, backlog; window scale, timestamps and SACK off, which lneto
// never offers). A scenario that asks for more cannot run with it (a skip,
// saying which).
func lnetoPeer(s *Scenario, setup *Setup) (harness.PeerMaker, error) {
	o := setup.Ours
	opts := lneto.Options{
		Settings:      setup.TCP.With(o.Settings),
		ReceiveBuffer: o.TCP.ReceiveBuffer,
		SendBuffer:    o.TCP.SendBuffer,
		Backlog:       o.Backlog,
	}
	carried := o.TCP
	carried.NoSACK, carried.NoWindowScale, carried.NoTimestamps, carried.ReceiveBuffer, carried.SendBuffer = false, false, false, 0, 0
	if setup.MustOffer != (OfferedOptions{}) {
		return nil, fmt.Errorf("lneto peer: %w: %s needs the end where ourstack stands to offer %+v, and lneto offers neither SACK-permitted nor timestamps", harness.ErrUnsupported, s.Name, setup.MustOffer)
	}
	if carried != (ours.Options{}).TCP || o.SYNQueue != 0 {
		return nil, fmt.Errorf("lneto peer: %w: %s sets a switch of ourstack's that lneto has no match for (Setup.Ours: %+v)", harness.ErrUnsupported, s.Name, o)
	}
	return lneto.NewPeer(opts), nil
}
