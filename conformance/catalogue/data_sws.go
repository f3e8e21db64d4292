package catalogue

import (
	"fmt"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// The slow reader of sws-avoidance: a few bytes at a time, often.
const (
	swsReadSize  = 100
	swsReadEvery = 10 * time.Millisecond
	swsReads     = 600
)

// sws-avoidance: the server's window is full, and its application then
// reads 100 bytes every 10 ms. Expected: the server does not open its
// window in dribbles (receiver SWS avoidance, RFC 9293 3.8.6.2.2, MUST-39:
// the right edge moves by at least min(RCV.BUFF/2, MSS)), the client sends
// no small segments into it (sender SWS avoidance, 3.8.6.2.1, MUST-38), and
// the transfer completes (digest).
var swsAvoidance = Scenario{
	Name:    "sws-avoidance",
	Section: "data",
	Summary: "a full window read 100 bytes every 10 ms: no dribbled window, no small segments",
	RFCs:    []string{"RFC 9293 3.8.6.2.2", "RFC 9293 3.8.6.2.1"},
	Setup: func(s *Setup) {
		s.Patience = 10 * time.Minute
	},
	Run: runSWSAvoidance,
}

func runSWSAvoidance(e *Env) error {
	// Fill the pipe until the server says its window is shut.
	c, s, t, mark, zero := stallOnZeroWindow(e, 2<<20)

	slow := e.Mark()
	t.Paused = false
	for range swsReads {
		t.ReadLimit = t.BytesRead() + swsReadSize
		t.Pump()
		e.Advance(swsReadEvery)
	}
	end := e.Mark()
	t.ReadLimit = 0
	t.Run()

	recs := e.Net.Trace().Records
	shift := e.WindowShift(harness.ServerToClient)
	mss := e.SendMSS(harness.ServerToClient) // the server's Eff.snd.MSS bounds its step
	if opts := TCPOptionBytes(zero); opts > 0 {
		mss -= opts
	}
	// Receiver: the right edge it advertises only ever moves forward in
	// steps of at least min(RCV.BUFF/2, Eff.snd.MSS). RCV.BUFF is at least
	// the window it advertised before the reader stopped, and a scaled
	// window is rounded down to a multiple of 1<<shift (RFC 7323 2.3), so
	// a step may fall short of the MSS by less than that.
	var edge seqnum.Value
	haveEdge := false
	largestWindow := 0
	for _, r := range recs[:end] {
		if r.Dir != harness.ServerToClient || !IsIntact(r) || !r.Packet.TCP.Flags.Has(ACK) || r.Packet.TCP.Flags.Has(SYN) {
			continue
		}
		win := int(r.Packet.TCP.Window) << shift
		right := Rel(r.RelAck).Add(seqnum.Size(win))
		if r.Index < slow {
			largestWindow = max(largestWindow, win)
			if !haveEdge || edge.LessThan(right) {
				edge, haveEdge = right, true
			}
			continue
		}
		step := min(largestWindow/2, mss) - (1 << shift)
		if edge.LessThan(right) {
			// A move of less than 1<<shift is the rounding of a scaled
			// window, not an opening.
			if moved := int(edge.Size(right)); moved >= 1<<shift && moved < step {
				if e.Pairing.Server != GVisor {
					e.Fatalf(fmt.Sprintf("the server's right window edge to move by at least min(RCV.BUFF/2, MSS) = %d less rounding (RFC 9293 3.8.6.2.2)", step),
						"#%d ack=%d win=%d moved it by %d", r.Index, r.RelAck, win, moved)
				}
				e.Deviates(GVisorReceiverSWSOnlyFromZero)
			}
			edge = right
		}
	}

	// Sender: while the reader dribbles, each new data segment sent when
	// an ACK arrives is a full one, or at least half the largest window the
	// server ever offered (RFC 9293 3.8.6.2.1 (1), (2)), or a one-octet
	// zero-window probe.
	full := 0
	for _, r := range DataRecords(recs[mark:], harness.ClientToServer) {
		full = max(full, r.PayloadLen)
	}
	rtx := map[int]bool{}
	for _, r := range Retransmissions(recs[mark:end], harness.ClientToServer) {
		rtx[r.Index] = true
	}
	ackArrivals := map[time.Duration]bool{}
	for _, r := range recs[slow:end] {
		if r.Dir == harness.ServerToClient && r.Arrived != 0 {
			ackArrivals[r.Arrived] = true
		}
	}
	for _, r := range DataRecords(recs[slow:end], harness.ClientToServer) {
		if rtx[r.Index] || r.PayloadLen >= full || r.PayloadLen <= 1 || r.PayloadLen >= largestWindow/2 {
			continue
		}
		// (4) of 3.8.6.2.1: the override timeout may send what fits; such
		// a segment goes on a timer, not at the instant an ACK arrived.
		if !ackArrivals[r.At] {
			continue
		}
		if e.Pairing.Client == GVisor {
			e.Deviates(GVisorNoSenderSWS)
			continue
		}
		if e.Pairing.Client == Linux {
			e.Deviates(LinuxNoSenderSWS)
			continue
		}
		if e.Pairing.Client == LwIP {
			e.Deviates(LwIPNoSenderSWS)
			continue
		}
		e.Fatalf(fmt.Sprintf("no small client segments while the window dribbles open: full-sized (%d), or at least half the largest window (%d), or a one-octet probe (RFC 9293 3.8.6.2.1)", full, largestWindow/2),
			"#%d seq=%d len=%d", r.Index, r.RelSeq, r.PayloadLen)
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// stallOnZeroWindow connects, and pumps size bytes from client to server
// with the server's reader paused until the server advertises a zero
// window and that ACK has reached the client. It returns the connection's
// ends, the transfer, the trace mark from before the first data segment,
// and the zero-window ACK.
func stallOnZeroWindow(e *Env, size int) (c, s harness.Conn, t *Transfer, mark int, zero *harness.Record) {
	c, s = e.Connect()
	mark = e.Mark()
	t = e.NewTransfer(c, s, size)
	t.Paused = true
	scanned := mark
	e.WaitFor("the server to advertise a zero window", func() bool {
		t.Pump()
		recs := e.Net.Trace().Records
		for ; scanned < len(recs); scanned++ {
			r := recs[scanned]
			if r.Dir == harness.ServerToClient && IsIntact(r) && r.Packet.TCP.Flags.Has(ACK) && r.Packet.TCP.Window == 0 {
				zero = r
				return true
			}
		}
		return false
	})
	e.WaitFor("the zero-window ACK to reach the client", func() bool { return e.Now() >= zero.Arrived })
	return c, s, t, mark, zero
}
