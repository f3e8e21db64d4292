package catalogue

import (
	"fmt"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// windowScalingBuffer is the receive buffer window-scaling gives ourstack:
// well over the 64 KiB an unscaled window can say. gVisor's default
// receive buffer is already 1 MiB.
const windowScalingBuffer = 1 << 20

// window-scaling: 4 MiB go client to server with a 1 MiB receive buffer
// (windowScalingBuffer). Expected: both SYNs offer window scale
// (RFC 7323 2), the server advertises a scaled window over 64 KiB, and the
// client has more than 64 KiB in flight yet never sends past the right edge
// the server advertised (windows read with the right shift). The digest
// matches.
var windowScaling = Scenario{
	Name:    "window-scaling",
	Section: "data",
	Summary: "4 MiB into a 1 MiB buffer: a scaled window over 64 KiB, never sent past its right edge",
	RFCs:    []string{"RFC 7323 2.3", "RFC 7323 2.2", "RFC 9293 3.8.6"},
	Setup: func(s *Setup) {
		s.Ours.TCP.ReceiveBuffer = windowScalingBuffer
	},
	Run: runWindowScaling,
}

func runWindowScaling(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.NewTransfer(c, s, 4<<20).Run()
	e.Advance(DelayedACKWait)
	recs := e.Since(mark)

	// RFC 7323 2.2: the option is sent only in SYNs; each end offered it.
	for _, dir := range []harness.Dir{harness.ClientToServer, harness.ServerToClient} {
		if syn := e.SynOf(dir); syn == nil || !syn.Packet.TCP.Options.HasWindowScale {
			e.Fail(fmt.Sprintf("the %s SYN to offer window scale", dir), "it did not")
		}
	}
	shift := e.WindowShift(harness.ServerToClient)
	if shift == 0 {
		e.Fail("the server to scale its window (a receive buffer over 64 KiB needs a shift > 0)", "its SYN offered shift 0")
	}

	// The scaled window in use: the server advertised more than an
	// unscaled field can hold.
	largest := 0
	for _, r := range recs {
		if r.Dir == harness.ServerToClient && IsIntact(r) && r.Packet.TCP.Flags.Has(ACK) {
			largest = max(largest, int(r.Packet.TCP.Window)<<shift)
		}
	}
	if largest <= 0xffff {
		e.Fatalf("the server to advertise a window over 64 KiB", "its largest scaled window was %d (shift %d)", largest, shift)
	}
	// As in handshake-options: a receiver that sizes its buffer as its
	// application reads (Linux, on real time) may open the window only
	// when little is left to send; more than 64 KiB must be in flight only
	// if twice that was offered while more than 64 KiB was still to send.
	use := checkWindowUse(e, recs, harness.ClientToServer, uint8(shift))
	if use.offered <= 2*0xffff {
		e.Observe("the server offered at most %d bytes of window while more than 64 KiB was left to send", use.offered)
	} else if use.inFlight <= 0xffff {
		e.Fatalf("more than 64 KiB in flight at some point", "at most %d bytes, with up to %d offered", use.inFlight, use.offered)
	}
	e.Observe("server shift %d, largest window %d, at most %d bytes in flight", shift, largest, use.inFlight)

	// RFC 9293 3.8.6 and RFC 7323 2.3: the sender keeps within SND.UNA +
	// SND.WND, SND.WND being the field shifted by the peer's scale. Check
	// each data segment against the furthest right edge any ACK that had
	// reached the client by then advertised (a generous bound: the client
	// may not send past it).
	expectWithinAdvertisedWindow(e, e.Net.Trace().Records, shift)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// expectWithinAdvertisedWindow checks that no client data segment ends past
// the furthest right edge (ACK + window << shift) the server had
// advertised in a segment that reached the client before it was sent. The
// SYN-ACK's window is never scaled (RFC 7323 2.2).
func expectWithinAdvertisedWindow(e *Env, recs []*harness.Record, shift uint) {
	var edge seqnum.Value
	haveEdge := false
	EachSendWithArrivedACKs(recs, harness.ClientToServer, func(a *harness.Record) {
		win := seqnum.Size(a.Packet.TCP.Window)
		if !a.Packet.TCP.Flags.Has(SYN) {
			win <<= shift
		}
		if right := Rel(a.RelAck).Add(win); !haveEdge || edge.LessThan(right) {
			edge, haveEdge = right, true
		}
	}, func(r *harness.Record) {
		if r.PayloadLen == 0 || !haveEdge {
			return
		}
		end := Rel(r.RelSeq).Add(seqnum.Size(r.PayloadLen))
		// A zero-window probe may carry one octet past the edge (RFC 9293
		// 3.8.6.1).
		if edge.Add(1).LessThan(end) || (r.PayloadLen > 1 && edge.LessThan(end)) {
			e.Fatalf(fmt.Sprintf("client data within the window the server advertised (right edge %d)", uint32(edge)),
				"#%d seq=%d len=%d ends at %d", r.Index, r.RelSeq, r.PayloadLen, uint32(end))
		}
	})
}
