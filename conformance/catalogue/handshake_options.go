package catalogue

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// optionsTransfer is how much each end sends in the handshake-options
// scenarios: enough for slow start to open the congestion window past
// 64 KiB, so that the window scale decides how much may be in flight.
const optionsTransfer = 2 << 20

var _ = Register(
	// handshake-options: both ends offer MSS, window scale, SACK-permitted and
	// timestamps. Expected: the SYN-ACK carries only options the SYN offered;
	// timestamps are on every later segment (RFC 7323 3.2); no MSS, WS or
	// SACK-permitted option appears after the SYNs. 2 MiB (optionsTransfer) go
	// each way with more than 64 KiB in flight, never past the right edge
	// ack + window << scale (RFC 7323 2.3), and never in a segment over the
	// peer's MSS (RFC 9293 3.7.1).
	Scenario{
		Name:    "handshake-options",
		Section: "handshake",
		Summary: "both ends offer MSS, WS, SACK and timestamps: all negotiated and used as offered",
		RFCs:    []string{"RFC 7323 2.2", "RFC 7323 3.2", "RFC 7323 2.3", "RFC 2018 2", "RFC 9293 3.7.1"},
		Setup:   func(s *Setup) { s.MustOffer = OfferedOptions{SACK: true, Timestamps: true} },
		Run:     func(e *Env) error { return runOptions(e, allOptions, allOptions) },
	},
	// handshake-options-ours-declines: ourstack offers no window scale, SACK or
	// timestamps (tcp.Config NoWindowScale, NoSACK, NoTimestamps; an exec
	// stack in its place is asked the same). Expected: an ourstack end's
	// SYN or SYN-ACK carries none of them, and the other end
	// then uses none (no TSopt, no SACK blocks, windows unscaled: never more
	// than 64 KiB in flight). gvisor<->gvisor negotiates all four.
	Scenario{
		Name:    "handshake-options-ours-declines",
		Section: "handshake",
		Summary: "ourstack offers no WS, SACK or timestamps: its SYNs carry none, the peer uses none",
		RFCs:    []string{"RFC 7323 2.2", "RFC 7323 3.2", "RFC 2018 2", "RFC 2018 4"},
		Setup: func(s *Setup) {
			s.Ours.TCP.NoWindowScale, s.Ours.TCP.NoSACK, s.Ours.TCP.NoTimestamps = true, true, true
		},
		Run: func(e *Env) error {
			offers := func(kind string) optionSet {
				if kind == Ours || IsExec(kind) {
					return optionSet{mss: true}
				}
				return allOptions
			}
			return runOptions(e, offers(e.Pairing.Client), offers(e.Pairing.Server))
		},
	},
	// handshake-options-gvisor-no-sack: gVisor offers no SACK-permitted
	// (gvisor.Options.Settings.NoSACK; gVisor has no switch for window scale or
	// timestamps). Expected: a gVisor end's SYN or SYN-ACK carries none, and
	// the other end sends no SACK blocks. The rest is negotiated as usual.
	Scenario{
		Name:    "handshake-options-gvisor-no-sack",
		Section: "handshake",
		Summary: "gVisor offers no SACK-permitted: the other end sends no SACK blocks, the rest as usual",
		RFCs:    []string{"RFC 2018 2", "RFC 2018 4"},
		Setup: func(s *Setup) {
			s.GVisor.Settings.NoSACK = true
			s.MustOffer = OfferedOptions{SACK: true, Timestamps: true} // the other end offers all four
		},
		// With Linux in gVisor's place, Linux offers no SACK-permitted
		// either (net.ipv4.tcp_sack = 0, linuxPeer).
		Run: func(e *Env) error {
			offers := func(kind string) optionSet {
				if kind == GVisor || kind == Linux {
					return optionSet{mss: true, ws: true, ts: true}
				}
				return allOptions
			}
			return runOptions(e, offers(e.Pairing.Client), offers(e.Pairing.Server))
		},
	},
)

// optionSet is which of the four SYN options a segment carries (or an end
// offers).
type optionSet struct{ mss, ws, sack, ts bool }

var allOptions = optionSet{mss: true, ws: true, sack: true, ts: true}

func optionsOf(r *harness.Record) optionSet {
	o := r.Packet.TCP.Options
	return optionSet{mss: o.HasMSS, ws: o.HasWindowScale, sack: o.SACKPermitted, ts: o.HasTimestamps}
}

func (o optionSet) String() string {
	var parts []string
	for _, p := range []struct {
		on   bool
		name string
	}{{o.mss, "MSS"}, {o.ws, "WS"}, {o.sack, "SACK-permitted"}, {o.ts, "TS"}} {
		if p.on {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// runOptions connects, checks the SYN options against what each end is
// configured to offer and against the negotiation rules, then moves
// optionsTransfer bytes each way and checks every later segment uses only
// what was negotiated.
func runOptions(e *Env, clientOffers, serverOffers optionSet) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	hs := e.ExpectInOrder(mark, C2S(Flags(SYN)), S2C(Flags(SYN|ACK)))
	syn, synAck := hs[0], hs[1]
	offered, answered := optionsOf(syn), optionsOf(synAck)
	// A lneto end offers MSS alone (LnetoOffersOnlyMSS): the rules below
	// then judge what follows from that.
	for _, o := range []struct {
		side   harness.Side
		offers *optionSet
	}{{harness.Client, &clientOffers}, {harness.Server, &serverOffers}} {
		if e.PeerKind(o.side) == Lneto && *o.offers != (optionSet{mss: true}) {
			e.Deviates(LnetoOffersOnlyMSS)
			*o.offers = optionSet{mss: true}
		}
	}

	// The premise: each end offers what it was configured to.
	if offered != clientOffers {
		e.Fatalf("the "+e.Pairing.Client+" client's SYN to offer "+clientOffers.String(), "it offered %s", offered)
	}
	// RFC 7323 2.2: a WS option in a SYN-ACK only if the SYN had one;
	// 3.2: TSopt in a SYN-ACK only if the SYN had one; RFC 2018 2:
	// SACK-permitted "MUST NOT be sent" on a SYN-ACK unless it was received.
	wantAnswer := optionSet{
		mss:  serverOffers.mss,
		ws:   serverOffers.ws && offered.ws,
		sack: serverOffers.sack && offered.sack,
		ts:   serverOffers.ts && offered.ts,
	}
	if answered != wantAnswer {
		e.Fatalf(fmt.Sprintf("the %s server's SYN-ACK to carry %s (it offers %s; the SYN offered %s)", e.Pairing.Server, wantAnswer, serverOffers, offered),
			"it carried %s", answered)
	}
	negotiated := optionSet{mss: true, ws: answered.ws, sack: answered.sack, ts: answered.ts}

	// Each end's window shift: what it announced, if both sent WS
	// (RFC 7323 2.2); otherwise 0.
	var shift [2]uint8 // by Dir of the segments whose window it scales
	if negotiated.ws {
		shift[harness.ClientToServer] = syn.Packet.TCP.Options.WindowScale
		shift[harness.ServerToClient] = synAck.Packet.TCP.Options.WindowScale
	}
	// RFC 9293 3.7.1: without an MSS option the peer's MSS is 536.
	peerMSS := [2]int{536, 536} // what the sender in Dir may send
	if synAck.Packet.TCP.Options.HasMSS {
		peerMSS[harness.ClientToServer] = int(synAck.Packet.TCP.Options.MSS)
	}
	if syn.Packet.TCP.Options.HasMSS {
		peerMSS[harness.ServerToClient] = int(syn.Packet.TCP.Options.MSS)
	}

	up := bytes.Repeat([]byte("client bytes, scaled window "), optionsTransfer/28+1)[:optionsTransfer]
	down := bytes.Repeat([]byte("server bytes, scaled "), optionsTransfer/21+1)[:optionsTransfer]
	e.Pump(c, s, up)
	e.Pump(s, c, down)
	e.Close(c)
	e.Close(s)
	e.Settle()

	recs := e.Since(mark)
	for _, r := range recs {
		if r.Index == syn.Index {
			continue
		}
		o := r.Packet.TCP.Options
		what := fmt.Sprintf("#%d %s [%s] seq=%d ack=%d len=%d", r.Index, r.Dir, r.Packet.TCP.Flags, r.RelSeq, r.RelAck, r.PayloadLen)
		if !r.Packet.TCP.Flags.Has(SYN) {
			// RFC 9293 3.7.1: MSS only in SYNs; RFC 7323 2.2: WS only in
			// SYNs; RFC 2018 2: SACK-permitted only in SYNs.
			if o.HasMSS || o.HasWindowScale || o.SACKPermitted {
				e.Fatalf("no MSS, WS or SACK-permitted option after the SYNs", "%s carries %s", what, optionsOf(r))
			}
			// RFC 7323 3.2: once negotiated, TSopt "MUST be sent in every
			// non-<RST> segment"; if not, "MUST NOT be sent".
			if !r.Packet.TCP.Flags.Has(RST) && o.HasTimestamps != negotiated.ts {
				e.Fatalf(fmt.Sprintf("TSopt on every later segment iff negotiated (negotiated: %v)", negotiated.ts), "%s: TSopt %v", what, o.HasTimestamps)
			}
		}
		// RFC 2018 3: SACK blocks only to a peer that sent SACK-permitted.
		if o.NumSACKBlocks > 0 && !negotiated.sack {
			e.Fatalf("no SACK blocks without SACK-permitted from both", "%s carries %d SACK blocks", what, o.NumSACKBlocks)
		}
		// RFC 9293 3.7.1 (and RFC 6691): data plus TCP options never over
		// the peer's MSS.
		if r.PayloadLen > 0 && r.PayloadLen+len(r.TCPOptions) > peerMSS[r.Dir] {
			e.Fatalf(fmt.Sprintf("segments of at most the peer's MSS %d, options included", peerMSS[r.Dir]), "%s with %d option bytes", what, len(r.TCPOptions))
		}
	}
	use := [2]windowUse{
		checkWindowUse(e, recs, harness.ClientToServer, shift[harness.ServerToClient]),
		checkWindowUse(e, recs, harness.ServerToClient, shift[harness.ClientToServer]),
	}
	for _, d := range []harness.Dir{harness.ClientToServer, harness.ServerToClient} {
		// A scaled window is put to use only if the receiver opens it: a
		// receiver sizing its buffer as the application reads (Linux's
		// autotuning, on real time) may keep it near 64 KiB through a
		// short transfer, or open it only for the last few segments.
		// Twice 64 KiB offered while more than that was still to send
		// leaves a sender that reads the shift right no reason to stay
		// under 64 KiB.
		switch {
		case negotiated.ws && shift[1-d] > 0 && use[d].offered <= 2*0xffff:
			e.Observe("the %s receiver offered at most %d bytes of window while more than 64 KiB was left to send: the scaled window was not put to use", (1 - d).From(), use[d].offered)
		case negotiated.ws && shift[1-d] > 0 && use[d].inFlight <= 0xffff:
			e.Fatalf(fmt.Sprintf("more than 64 KiB in flight %s with the receiver's window scaled by %d", d, shift[1-d]),
				"at most %d bytes in flight, with up to %d offered", use[d].inFlight, use[d].offered)
		case !negotiated.ws && use[d].inFlight > 0xffff:
			e.Fatalf(fmt.Sprintf("at most 65535 bytes in flight %s: window scale not negotiated", d), "%d bytes in flight", use[d].inFlight)
		}
	}
	return nil
}

// windowUse is how a sender used the window its receiver offered.
type windowUse struct {
	// inFlight is the most data ever in flight: the highest sequence sent
	// minus the highest acknowledgment the sender had.
	inFlight int64
	// offered is the largest usable window (right edge less the highest
	// acknowledgment) the sender knew as it sent a segment that left more
	// than 64 KiB of its stream still to send.
	offered int64
}

// checkWindowUse checks the data flowing in dir against the windows its
// receiver advertised, as the sender heard them: no segment ends past the
// highest right edge SEG.ACK + SEG.WND << shift (RFC 7323 2.3; a SYN's
// window is never scaled, 2.2) of the ACKs that had reached the sender when
// it sent. It returns how the sender used the window.
func checkWindowUse(e *Env, recs []*harness.Record, dir harness.Dir, shift uint8) windowUse {
	var acks []*harness.Record
	for _, r := range recs {
		if r.Dir != dir && r.Packet.TCP.Flags.Has(ACK) && r.Fate == harness.Delivered {
			acks = append(acks, r)
		}
	}
	slices.SortStableFunc(acks, func(a, b *harness.Record) int { return cmp.Compare(a.Arrived, b.Arrived) })
	var edge seqnum.Value
	var highAck, highSent uint32
	known := false
	var use windowUse
	var streamEnd uint32
	for _, r := range recs {
		if r.Dir == dir && r.PayloadLen > 0 {
			streamEnd = max(streamEnd, r.RelSeq+uint32(r.PayloadLen))
		}
	}
	next := 0
	for _, r := range recs {
		if r.Dir != dir || r.PayloadLen == 0 {
			continue
		}
		for ; next < len(acks) && acks[next].Arrived <= r.At; next++ {
			a := acks[next]
			sh := shift
			if a.Packet.TCP.Flags.Has(SYN) {
				sh = 0
			}
			e2 := seqnum.Value(a.RelAck).Add(seqnum.Size(uint32(a.Packet.TCP.Window) << sh))
			if !known || edge.LessThan(e2) {
				edge, known = e2, true
			}
			if seqnum.Value(highAck).LessThan(seqnum.Value(a.RelAck)) {
				highAck = a.RelAck
			}
		}
		end := seqnum.Value(r.RelSeq).Add(seqnum.Size(r.PayloadLen))
		if known && edge.LessThan(end) {
			e.Fatalf("no data past the right edge SEG.ACK + SEG.WND << scale the receiver advertised (RFC 7323 2.3, RFC 9293 3.8.6)",
				"#%d %s seq=%d len=%d ends at %d; the edge the sender knew was %d", r.Index, r.Dir, r.RelSeq, r.PayloadLen, uint32(end), uint32(edge))
		}
		if seqnum.Value(highSent).LessThan(end) {
			highSent = uint32(end)
		}
		use.inFlight = max(use.inFlight, int64(highSent-highAck))
		if known && streamEnd-highSent > 0xffff {
			use.offered = max(use.offered, int64(uint32(edge)-highAck))
		}
	}
	return use
}
