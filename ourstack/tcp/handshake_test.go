package tcp

import (
	"errors"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Tests for the SYN-SENT state.

func TestActiveOpen(t *testing.T) {
	f := &fixture{t: t, now: epoch}
	f.tcb = Open(baseConfig(), testID, localISS, f.now)
	f.expect(seg{flags: syn, seq: localISS, win: testWindow, opts: &wire.Options{HasMSS: true, MSS: 1460}})
	f.expectNothing()
	f.send(seg{flags: syn | ack, seq: remoteISS, ack: localISS + 1, win: 30000,
		opts: &wire.Options{HasMSS: true, MSS: 1000}})
	f.expectState(Established)
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	if !f.tcb.Established() || f.tcb.sndWnd != 30000 || f.tcb.opts.sendMSS != 1000 {
		t.Fatalf("established=%v sndWnd=%d sendMSS=%d", f.tcb.Established(), f.tcb.sndWnd, f.tcb.opts.sendMSS)
	}
	if _, ok := f.tcb.Deadline(); ok {
		t.Fatal("a timer is still armed after the handshake")
	}
}

func TestSynSentDataOnSynAck(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	f.send(seg{flags: syn | ack, seq: remoteISS, ack: localISS + 1, win: testWindow, data: "hello"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 6, win: testWindow - 5})
	if got, _ := f.read(); got != "hello" {
		t.Fatalf("read %q", got)
	}
}

func TestSynRetransmitBackoff(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	// RFC 6298 2.1 and 5.5: 1 s, then doubling, capped at MaxRTO (60 s).
	for _, want := range []time.Duration{1, 2, 4, 8, 16, 32, 60} {
		if got := f.advanceToDeadline(); got != want*time.Second {
			t.Fatalf("SYN retransmitted after %v, want %v", got, want*time.Second)
		}
		f.expect(seg{flags: syn, seq: localISS, win: testWindow})
	}
	// Seven retransmissions (SynRetries); the next expiry gives up, 183 s
	// after the first SYN: more than the 3 minutes of RFC 9293 MUST-23.
	if got := f.advanceToDeadline(); got != 60*time.Second {
		t.Fatalf("gave up after %v, want 60s", got)
	}
	if f.now.Sub(epoch) < 3*time.Minute {
		t.Fatalf("gave up %v after the first SYN", f.now.Sub(epoch))
	}
	f.expectNothing()
	f.expectState(Closed)
	if !errors.Is(f.tcb.Err(), ErrTimedOut) || !f.tcb.Done() {
		t.Fatalf("err %v done %v", f.tcb.Err(), f.tcb.Done())
	}
}

func TestSynRetransmitThenConnectUsesThreeSecondRTO(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	f.advanceToDeadline()
	f.expect(seg{flags: syn, seq: localISS, win: testWindow})
	f.send(seg{flags: syn | ack, seq: remoteISS, ack: localISS + 1, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	if f.tcb.rto.RTO() != 3*time.Second {
		t.Fatalf("RTO %v after a SYN timeout, want 3s (RFC 6298 5.7)", f.tcb.rto.RTO())
	}
}

func TestConnectionRefused(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	f.send(seg{flags: rst | ack, seq: 0, ack: localISS + 1})
	f.expectNothing()
	f.expectState(Closed)
	if !errors.Is(f.tcb.Err(), ErrConnectionRefused) {
		t.Fatalf("err %v, want refused", f.tcb.Err())
	}
	if _, err := f.tcb.Receive(f.now, make([]byte, 1)); !errors.Is(err, ErrConnectionRefused) {
		t.Fatalf("Receive err %v", err)
	}
}

func TestSynSentIgnoresRSTWithoutAckOrWithBadAck(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	// No ACK: RFC 5961 3.2 / RFC 9293 3.10.7.3, dropped.
	f.send(seg{flags: rst, seq: remoteISS})
	// ACK that does not acknowledge our SYN: dropped (an RST is never answered).
	f.send(seg{flags: rst | ack, seq: remoteISS, ack: localISS + 5})
	f.expectNothing()
	f.expectState(SynSent)
}

func TestSynSentBadAckDrawsRST(t *testing.T) {
	for _, a := range []uint32{uint32(localISS), uint32(localISS) + 2, uint32(localISS) - 100} {
		f := tcbSynSent(t, baseConfig())
		f.send(seg{flags: syn | ack, seq: remoteISS, ack: wireSeq(a)})
		// <SEQ=SEG.ACK><CTL=RST>
		f.expect(seg{flags: rst, seq: wireSeq(a)})
		f.expectState(SynSent)
	}
}

func TestSynSentSegmentWithoutSynOrRSTIsDropped(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	f.send(seg{flags: ack, seq: remoteISS, ack: localISS + 1})
	f.expectNothing()
	f.expectState(SynSent)
}

// Tests for the SYN-RECEIVED state.

func TestPassiveOpen(t *testing.T) {
	f := tcbSynReceived(t, baseConfig())
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: 20000})
	f.expectState(Established)
	f.expectNothing()
	if f.tcb.sndWnd != 20000 {
		t.Fatalf("sndWnd %d", f.tcb.sndWnd)
	}
}

func TestSynAckRetransmitAndGiveUp(t *testing.T) {
	cfg := baseConfig()
	cfg.SynRetries = 5
	f := tcbSynReceived(t, cfg)
	for _, want := range []time.Duration{1, 2, 4, 8, 16} {
		if got := f.advanceToDeadline(); got != want*time.Second {
			t.Fatalf("SYN-ACK retransmitted after %v, want %v", got, want*time.Second)
		}
		f.expect(seg{flags: syn | ack, seq: localISS, ack: remoteISS + 1, win: testWindow})
	}
	f.advanceToDeadline()
	f.expectState(Closed)
	if !f.tcb.Done() {
		t.Fatal("not done")
	}
}

func TestSynReceivedRetransmittedSynGetsSynAck(t *testing.T) {
	f := tcbSynReceived(t, baseConfig())
	f.send(seg{flags: syn, seq: remoteISS})
	f.expect(seg{flags: syn | ack, seq: localISS, ack: remoteISS + 1, win: testWindow})
	f.expectState(SynReceived)
}

func TestSynReceivedBadAckDrawsRST(t *testing.T) {
	f := tcbSynReceived(t, baseConfig())
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 10})
	f.expect(seg{flags: rst, seq: localISS + 10})
	f.expectState(SynReceived)
}

func TestThirdAckWithData(t *testing.T) {
	f := tcbSynReceived(t, baseConfig())
	f.send(seg{flags: ack | psh, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "GET /"})
	f.expectState(Established)
	if got, _ := f.read(); got != "GET /" {
		t.Fatalf("read %q", got)
	}
}

func TestSynReceivedRSTPassiveIsQuietlyDone(t *testing.T) {
	f := tcbSynReceived(t, baseConfig())
	f.send(seg{flags: rst, seq: remoteISS + 1})
	f.expectNothing()
	f.expectState(Closed)
	if !f.tcb.Done() {
		t.Fatal("not done")
	}
}

// RFC 9293 figure 7: simultaneous open.
func TestSimultaneousOpen(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	f.send(seg{flags: syn, seq: remoteISS, win: testWindow, opts: &wire.Options{HasMSS: true, MSS: 1460}})
	f.expectState(SynReceived)
	f.expect(seg{flags: syn | ack, seq: localISS, ack: remoteISS + 1, win: testWindow})
	f.send(seg{flags: syn | ack, seq: remoteISS, ack: localISS + 1, win: testWindow})
	f.expectState(Established)
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
}

func TestSimultaneousOpenRSTMeansRefused(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	f.send(seg{flags: syn, seq: remoteISS})
	f.expect(seg{flags: syn | ack, seq: localISS, ack: remoteISS + 1, win: testWindow})
	f.send(seg{flags: rst, seq: remoteISS + 1})
	f.expectState(Closed)
	if !errors.Is(f.tcb.Err(), ErrConnectionRefused) {
		t.Fatalf("err %v", f.tcb.Err())
	}
}

func TestOpenFromCookie(t *testing.T) {
	now := epoch
	a := wire.Segment{SrcPort: remotePort, DstPort: localPort, Seq: remoteISS + 1, Ack: localISS + 1, Flags: ack | psh,
		Window: 1000, Payload: []byte("hi")}
	tcb := OpenFromCookie(baseConfig(), testID, &a, 1200, now)
	if tcb.State() != Established || tcb.opts.sendMSS != 1200 || tcb.sndWnd != 1000 {
		t.Fatalf("state %v mss %d wnd %d", tcb.State(), tcb.opts.sendMSS, tcb.sndWnd)
	}
	f := &fixture{t: t, tcb: tcb, now: now}
	if got, _ := f.read(); got != "hi" {
		t.Fatalf("read %q", got)
	}
}

func TestRespondClosed(t *testing.T) {
	cases := []struct {
		name string
		in   wire.Segment
		want wire.Segment
		ok   bool
	}{
		{"syn", wire.Segment{SrcPort: 1, DstPort: 2, Seq: 100, Flags: syn},
			wire.Segment{SrcPort: 2, DstPort: 1, Ack: 101, Flags: rst | ack}, true},
		{"data without ack", wire.Segment{SrcPort: 1, DstPort: 2, Seq: 100, Flags: fin, Payload: []byte("abc")},
			wire.Segment{SrcPort: 2, DstPort: 1, Ack: 104, Flags: rst | ack}, true},
		{"ack", wire.Segment{SrcPort: 1, DstPort: 2, Seq: 100, Ack: 777, Flags: ack, Payload: []byte("abc")},
			wire.Segment{SrcPort: 2, DstPort: 1, Seq: 777, Flags: rst}, true},
		{"rst", wire.Segment{SrcPort: 1, DstPort: 2, Seq: 100, Flags: rst}, wire.Segment{}, false},
	}
	for _, c := range cases {
		got, ok := RespondClosed(&c.in)
		if ok != c.ok || got.SrcPort != c.want.SrcPort || got.DstPort != c.want.DstPort || got.Seq != c.want.Seq ||
			got.Ack != c.want.Ack || got.Flags != c.want.Flags {
			t.Errorf("%s: got %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// RFC 9293 3.10.7.4 fourth check: a new SYN in a passively opened
// SYN-RECEIVED returns the connection to LISTEN (here: the TCB is done).
func TestSynReceivedNewSYNReturnsToListen(t *testing.T) {
	f := tcbSynReceived(t, baseConfig())
	f.send(seg{flags: syn, seq: remoteISS + 10})
	f.expectNothing()
	f.expectState(Closed)
	if !f.tcb.Done() {
		t.Fatal("not done")
	}
}

func TestSynAckDataTrimmedToOurWindow(t *testing.T) {
	cfg := baseConfig()
	cfg.ReceiveBuffer = 10
	f := &fixture{t: t, now: epoch}
	f.tcb = Open(cfg, testID, localISS, f.now)
	f.expect(seg{flags: syn, seq: localISS, win: 10, opts: &wire.Options{HasMSS: true, MSS: 1460}})
	f.send(seg{flags: syn | ack | fin, seq: remoteISS, ack: localISS + 1, win: testWindow, data: "0123456789abcdef"})
	// Ten bytes fit; the rest and the FIN lie beyond the window.
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 11, win: 0})
	f.expectState(Established)
	if got, _ := f.read(); got != "0123456789" {
		t.Fatalf("read %q", got)
	}
}

// RFC 9293 3.10.2: SEND in SYN-SENT queues the data "for transmission after
// entering ESTABLISHED state"; the first segment after the handshake
// carries it (and the ACK).
func TestSendInSynSentQueuesData(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	if !f.tcb.Writable() || f.tcb.Readable() {
		t.Fatalf("writable %v readable %v in SYN-SENT", f.tcb.Writable(), f.tcb.Readable())
	}
	f.write("early")
	f.expectNothing()
	f.send(seg{flags: syn | ack, seq: remoteISS, ack: localISS + 1, win: testWindow})
	f.expect(seg{flags: ack | psh, seq: localISS + 1, ack: remoteISS + 1, win: testWindow, data: "early"})
}

func TestSendAndReceiveErrors(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	if n, err := f.tcb.Receive(f.now, make([]byte, 4)); n != 0 || err != nil {
		t.Fatalf("Receive in SYN-SENT = %d, %v", n, err)
	}
	f.tcb.Close(f.now)
	if _, err := f.tcb.Send(f.now, []byte("x")); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Send after Close in SYN-SENT: %v", err)
	}
	if _, err := f.tcb.Receive(f.now, make([]byte, 4)); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Receive after Close in SYN-SENT: %v", err)
	}
	if !f.tcb.Readable() || !f.tcb.Writable() {
		t.Fatal("a closed TCB must be readable and writable, to report why")
	}
}

// The SYN's TSval is the clock in milliseconds plus the offset the Stack
// set, so a later incarnation of the four-tuple, given the same offset,
// sends a larger TSval (RFC 7323 5.4, 7.1; RFC 6191).
func TestSYNTimestampCarriesSetOffset(t *testing.T) {
	cfg := baseConfig()
	cfg.NoTimestamps = false
	var vals []uint32
	for _, at := range []time.Time{epoch, epoch.Add(3 * time.Second)} {
		tcb := Open(cfg, testID, localISS+wireSeq(uint32(len(vals))*7919), at)
		tcb.SetTimestampOffset(0x80000000)
		var got []wire.Segment
		tcb.Poll(at, func(s *wire.Segment) { got = append(got, *s) })
		if len(got) != 1 || !got[0].Options.HasTimestamps {
			t.Fatalf("want one SYN with timestamps, got %s", describe(got))
		}
		if want := uint32(at.UnixMilli()) + 0x80000000; got[0].Options.TSVal != want {
			t.Fatalf("TSval %d, want %d", got[0].Options.TSVal, want)
		}
		vals = append(vals, got[0].Options.TSVal)
	}
	if int32(vals[1]-vals[0]) <= 0 {
		t.Fatalf("the second incarnation's TSval %d is not above the first's %d", vals[1], vals[0])
	}
}
