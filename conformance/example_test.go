package conformance_test

import (
	"fmt"

	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios
	"github.com/tcpbed/tcpbed/harness/ours"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
)

// A stack of your own joins the scenarios as a peer kind of its own: put it
// behind harness.Peer (whole IPv4 packets in through Deliver, out through
// PeerEnv.Transmit, its timers on PeerEnv.Clock) and give Execute a
// PeerMaker for its name. Every scenario then runs with it at either end
// and gVisor at the other, judged by the same RFC checks. Here "mine" is
// ourstack with CUBIC in place of NewReno.
func ExampleExecute_yourOwnStack() {
	peers := func(kind string, setup *conformance.Setup) harness.PeerMaker {
		if kind != "mine" {
			return nil // ours, gvisor and linux as usual
		}
		opts := setup.Ours
		opts.TCP.Congestion = "cubic"
		return ours.NewPeer(opts)
	}
	for _, name := range []string{"handshake", "half-close", "time-wait", "congestion-response"} {
		s, _ := conformance.Lookup(name)
		for _, p := range []conformance.Pairing{{Client: "mine", Server: conformance.GVisor}, {Client: conformance.GVisor, Server: "mine"}} {
			res := conformance.Execute(s, conformance.RunOptions{Pairing: p, Seed: 1, Peers: peers})
			verdict := "pass"
			if res.Err != nil {
				verdict = "FAIL: " + res.Err.Error()
			}
			fmt.Printf("%-20s %-13s %s\n", name, p, verdict)
		}
	}
	// Output:
	// handshake            mine->gvisor  pass
	// handshake            gvisor->mine  pass
	// half-close           mine->gvisor  pass
	// half-close           gvisor->mine  pass
	// time-wait            mine->gvisor  pass
	// time-wait            gvisor->mine  pass
	// congestion-response  mine->gvisor  pass
	// congestion-response  gvisor->mine  pass
}
