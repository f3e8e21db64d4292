package tcp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Tests for the data path in ESTABLISHED: segmentation, Nagle, SWS,
// retransmission, persist, delayed ACK, reassembly, SACK, fast retransmit.

// tcbEstablishedWith is a passive open whose SYN carried synOpts, completed
// with an ACK that offers peerWindow (already scaled as the peer means it).
func tcbEstablishedWith(t *testing.T, cfg Config, synOpts wire.Options, peerWindow uint16) *fixture {
	f := &fixture{t: t, now: epoch}
	s := wire.Segment{SrcPort: remotePort, DstPort: localPort, Seq: remoteISS, Flags: syn, Window: peerWindow, Options: synOpts}
	f.tcb = OpenPassive(cfg, testID, &s, localISS, f.now)
	synAck := f.poll()
	third := seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: int(peerWindow)}
	if len(synAck) == 1 && synAck[0].Options.HasTimestamps {
		// Both SYNs carried timestamps: every segment must now (RFC 7323 3.2).
		third.opts = &wire.Options{HasTimestamps: true, TSVal: synOpts.TSVal, TSEcr: synAck[0].Options.TSVal}
	}
	f.send(third)
	f.expectState(Established)
	return f
}

func TestSegmentationAtPeerMSS(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, 60000)
	data := strings.Repeat("a", 1000) + strings.Repeat("b", 1000) + strings.Repeat("c", 500)
	f.write(data)
	f.expect(
		seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: data[:1000]},
		seg{flags: ack, seq: localISS + 1001, ack: remoteISS + 1, win: -1, data: data[1000:2000]},
		// Minshall's Nagle: only full segments are in flight, the tail goes.
		seg{flags: ack | psh, seq: localISS + 2001, ack: remoteISS + 1, win: -1, data: data[2000:]},
	)
}

func TestEffectiveMSSLessTimestamps(t *testing.T) {
	cfg := baseConfig()
	cfg.NoTimestamps = false
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000, HasTimestamps: true, TSVal: 1}, 60000)
	f.write(strings.Repeat("x", 2000))
	got := f.poll()
	// RFC 6691: 1000 less the 12 bytes of timestamps.
	if len(got) != 3 || len(got[0].Payload) != 988 || len(got[1].Payload) != 988 || len(got[2].Payload) != 24 {
		t.Fatalf("segments:\n%s", describe(got))
	}
	if !got[0].Options.HasTimestamps || got[0].Options.TSEcr != 1 {
		t.Fatalf("timestamps %+v", got[0].Options)
	}
}

func TestNagleHoldsSmallSegmentWhileOneIsUnacked(t *testing.T) {
	f := tcbEstablished(t)
	f.write("a")
	f.expect(seg{flags: ack | psh, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: "a"})
	f.write("b")
	f.write("c")
	f.expectNothing()
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2, win: testWindow})
	f.expect(seg{flags: ack | psh, seq: localISS + 2, ack: remoteISS + 1, win: -1, data: "bc"})
}

func TestNoDelaySendsAtOnce(t *testing.T) {
	cfg := baseConfig()
	cfg.NoDelay = true
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1460}, testWindow)
	f.write("a")
	f.expect(seg{flags: ack | psh, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: "a"})
	f.write("b")
	f.expect(seg{flags: ack | psh, seq: localISS + 2, ack: remoteISS + 1, win: -1, data: "b"})
}

// Nagle toggled on a live connection (TCP_NODELAY): turning it off
// releases the short segment it was holding; turning it back on holds the
// next one again.
func TestSetNoDelayOnLiveConnection(t *testing.T) {
	f := tcbEstablished(t)
	f.write("a")
	f.expect(seg{flags: ack | psh, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: "a"})
	f.write("b")
	f.expectNothing() // Nagle: "a" is unacknowledged
	f.tcb.SetNoDelay(true)
	if !f.tcb.NoDelay() {
		t.Fatal("NoDelay reports Nagle on after SetNoDelay(true)")
	}
	f.expect(seg{flags: ack | psh, seq: localISS + 2, ack: remoteISS + 1, win: -1, data: "b"})
	f.write("c")
	f.expect(seg{flags: ack | psh, seq: localISS + 3, ack: remoteISS + 1, win: -1, data: "c"})
	f.tcb.SetNoDelay(false)
	f.write("d")
	f.expectNothing()
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 4, win: testWindow})
	f.expect(seg{flags: ack | psh, seq: localISS + 4, ack: remoteISS + 1, win: -1, data: "d"})
}

func TestSendRespectsPeerWindow(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, 1500)
	f.write(strings.Repeat("z", 3000))
	got := f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: strings.Repeat("z", 1000)})
	_ = got
	// 500 bytes of window left: SWS avoidance holds them (less than MSS and
	// less than half the largest window), until the override timer.
	f.expectNothing()
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1001, win: 1500})
	f.expect(seg{flags: ack, seq: localISS + 1001, ack: remoteISS + 1, win: -1, data: strings.Repeat("z", 1000)})
}

func TestRetransmissionBackoffAndGiveUp(t *testing.T) {
	f := tcbEstablished(t)
	f.tcb.cfg.DataRetries = 4
	f.write("data")
	f.expect(seg{flags: ack | psh, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: "data"})
	rto := f.tcb.rto.RTO()
	for i := range 4 {
		if got := f.advanceToDeadline(); got != rto<<i {
			t.Fatalf("retransmission %d after %v, want %v", i+1, got, rto<<i)
		}
		f.expect(seg{flags: ack | psh, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: "data"})
	}
	f.advanceToDeadline()
	f.expectNothing()
	f.expectState(Closed)
	if !errors.Is(f.tcb.Err(), ErrTimedOut) {
		t.Fatalf("err %v", f.tcb.Err())
	}
	if f.tcb.Stats().Retransmits != 4 {
		t.Fatalf("Retransmits %d", f.tcb.Stats().Retransmits)
	}
}

func TestRTOBackoffCappedAtMaxRTO(t *testing.T) {
	f := tcbEstablished(t)
	f.tcb.cfg.DataRetries = 20
	f.write("x")
	f.poll()
	var last time.Duration
	for range 12 {
		last = f.advanceToDeadline()
		f.poll()
	}
	if last != DefaultMaxRTO {
		t.Fatalf("backed-off RTO %v, want the %v cap", last, DefaultMaxRTO)
	}
}

func TestRTTSampleSetsRTO(t *testing.T) {
	f := tcbEstablished(t)
	f.write("x")
	f.poll()
	f.advance(100 * time.Millisecond)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2, win: testWindow})
	// Second sample of 100 ms after a first of 0 (the handshake): RFC 6298
	// 2.3: RTTVAR = 3/4*0 + 1/4*100 = 25, SRTT = 12.5, RTO = 12.5+100.
	if got := f.tcb.rto.SRTT(); got != 12500*time.Microsecond {
		t.Fatalf("SRTT %v", got)
	}
	if _, armed := f.tcb.Deadline(); armed {
		t.Fatal("retransmission timer still armed with nothing outstanding")
	}
}

func TestZeroWindowAndPersistProbes(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1460}, 0)
	f.tcb.cfg.DataRetries = 2
	f.write("hello")
	f.expectNothing()
	rto := f.tcb.rto.RTO()
	// Probes of one octet at SND.UNA (RFC 9293 3.8.6.1) at RTO, 2 RTO,
	// 4 RTO ... (RFC 1122 4.2.2.17), more of them than DataRetries: an
	// answered probe never counts against it.
	for i := range 5 {
		if got := f.advanceToDeadline(); got != rto<<i {
			t.Fatalf("probe %d after %v, want %v", i, got, rto<<i)
		}
		f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: "h"})
		// The peer answers with its (still zero) window.
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: 0})
		f.expectNothing()
	}
	if f.tcb.State() != Established {
		t.Fatalf("persist probing must never give up while answered: %v", f.tcb.State())
	}
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: 1000})
	f.expect(seg{flags: ack | psh, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: "hello"})
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 6, win: 1000})
	if _, armed := f.tcb.Deadline(); armed {
		t.Fatal("a timer is still armed with everything acknowledged")
	}
}

// The peer takes the probe's octet: the rest follows from there.
func TestZeroWindowProbeAccepted(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1460}, 0)
	f.write("hello")
	f.expectNothing()
	f.advanceToDeadline()
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: "h"})
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2, win: 100})
	f.expect(seg{flags: ack | psh, seq: localISS + 2, ack: remoteISS + 1, win: -1, data: "ello"})
}

func TestReceiveWindowClosesAndReopens(t *testing.T) {
	cfg := baseConfig()
	cfg.ReceiveBuffer = 4000
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	f.tcb.recv.quickAcks = 0 // past the connection's start: ACKs may be delayed
	for i := range 4 {
		f.send(seg{flags: ack, seq: remoteISS + 1 + seqnum.Value(i*1000), ack: localISS + 1, win: testWindow, data: strings.Repeat("d", 1000)})
		switch i {
		case 0, 2:
			f.expectNothing() // delayed
		case 1:
			f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 2001, win: 2000})
		case 3:
			f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 4001, win: 0})
		}
	}
	// Beyond a zero window: not acceptable, ACKed.
	f.send(seg{flags: ack, seq: remoteISS + 4001, ack: localISS + 1, win: testWindow, data: "x"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 4001, win: 0})
	// Reading opens the window; the update goes out at once.
	buf := make([]byte, 4000)
	if n, _ := f.tcb.Receive(f.now, buf); n != 4000 {
		t.Fatalf("read %d", n)
	}
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 4001, win: 4000})
}

func TestReceiverSWSAvoidance(t *testing.T) {
	cfg := baseConfig()
	cfg.ReceiveBuffer = 4000
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: strings.Repeat("d", 4000)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 4001, win: 0})
	// Reading 100 bytes must not open a 100-byte window (RFC 9293 3.8.6.2.2).
	f.tcb.Receive(f.now, make([]byte, 100))
	f.expectNothing()
	f.send(seg{flags: ack, seq: remoteISS + 4001, ack: localISS + 1, win: testWindow})
	f.expectNothing()
	f.tcb.ackNow = true
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 4001, win: 0})
	// Reading up to one MSS does.
	f.tcb.Receive(f.now, make([]byte, 900))
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 4001, win: 1000})
}

// A buffer larger than the 16-bit window field can show: reads free space
// the field cannot carry, so they draw no ACK; one would repeat the last
// ACK's ack and window, a duplicate ACK to a peer with data in flight (RFC
// 5681 2). A read that does open the window the peer knows still draws the
// update.
func TestReadSendsNoWindowUpdateTheFieldCannotShow(t *testing.T) {
	cfg := baseConfig()
	cfg.ReceiveBuffer = 256 << 10 // no window scale: the field tops out at 65535
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	f.write("q") // data in flight: identical ACKs would be duplicates to the peer
	f.poll()
	for i := range 3 {
		f.send(seg{flags: ack, seq: remoteISS + 1 + seqnum.Value(i*100), ack: localISS + 1, win: testWindow, data: strings.Repeat("s", 100)})
		f.expect(seg{flags: ack, seq: localISS + 2, ack: remoteISS + 101 + seqnum.Value(i*100), win: 65535})
		if got, _ := f.read(); len(got) != 100 {
			t.Fatalf("read %d bytes", len(got))
		}
		f.expectNothing()
	}
	// With a buffer the field can show, 60000 bytes unread then read open
	// the window from 5535 to 65535 bytes: that update goes.
	cfg.ReceiveBuffer = 60000 + 5535
	f = tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	f.tcb.recv.quickAcks = 0
	for i := range 60 {
		f.send(seg{flags: ack, seq: remoteISS + 1 + seqnum.Value(i*1000), ack: localISS + 1, win: testWindow, data: strings.Repeat("s", 1000)})
	}
	f.tcb.ackNow = true
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 60001, win: 5535})
	if got, _ := f.read(); len(got) != 60000 {
		t.Fatalf("read %d bytes", len(got))
	}
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 60001, win: 65535})
}

func TestDelayedACK(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	f.tcb.recv.quickAcks = 0 // past the connection's start: ACKs may be delayed
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: strings.Repeat("d", 1000)})
	f.expectNothing()
	// The handshake measured an RTT of 0: the delay is the 40 ms floor, not
	// the 200 ms maximum (see delayedACKTimeout).
	if got := f.advanceToDeadline(); got != minDelayedACK {
		t.Fatalf("delayed ACK after %v", got)
	}
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1001, win: -1})
	// Two full-sized segments: ACK at once.
	f.send(seg{flags: ack, seq: remoteISS + 1001, ack: localISS + 1, win: testWindow, data: strings.Repeat("d", 1000)})
	f.expectNothing()
	f.send(seg{flags: ack, seq: remoteISS + 2001, ack: localISS + 1, win: testWindow, data: strings.Repeat("d", 1000)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 3001, win: -1})
	if _, armed := f.tcb.Deadline(); armed {
		t.Fatal("delayed-ACK timer left armed")
	}
}

func sackOpts(blocks ...wire.SACKBlock) *wire.Options {
	o := &wire.Options{NumSACKBlocks: len(blocks)}
	copy(o.SACKBlocks[:], blocks)
	return o
}

func TestOutOfOrderReassemblyWithSACK(t *testing.T) {
	cfg := baseConfig()
	cfg.NoSACK = false
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000, SACKPermitted: true}, testWindow)
	r := remoteISS + 1
	// Segments 2 and 4 of five (100 bytes each) arrive first.
	f.send(seg{flags: ack, seq: r + 100, ack: localISS + 1, win: testWindow, data: strings.Repeat("2", 100)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r, win: -1, opts: sackOpts(wire.SACKBlock{Left: r + 100, Right: r + 200})})
	f.send(seg{flags: ack, seq: r + 300, ack: localISS + 1, win: testWindow, data: strings.Repeat("4", 100)})
	// RFC 2018 4: the block of the segment that triggered the ACK first.
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r, win: -1, opts: sackOpts(
		wire.SACKBlock{Left: r + 300, Right: r + 400}, wire.SACKBlock{Left: r + 100, Right: r + 200})})
	// A duplicate of segment 2: still out of order, still ACKed at once.
	f.send(seg{flags: ack, seq: r + 100, ack: localISS + 1, win: testWindow, data: strings.Repeat("2", 100)})
	f.poll()
	if got, _ := f.read(); got != "" {
		t.Fatalf("delivered %q before the hole was filled", got)
	}
	// Segment 1 fills the first hole: ACK at once (RFC 5681 4.2).
	f.send(seg{flags: ack, seq: r, ack: localISS + 1, win: testWindow, data: strings.Repeat("1", 100)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 200, win: -1, opts: sackOpts(wire.SACKBlock{Left: r + 300, Right: r + 400})})
	f.send(seg{flags: ack | fin, seq: r + 400, ack: localISS + 1, win: testWindow, data: strings.Repeat("5", 100)})
	f.poll()
	f.expectState(Established) // the FIN waits behind the hole
	f.send(seg{flags: ack, seq: r + 200, ack: localISS + 1, win: testWindow, data: strings.Repeat("3", 100)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 501, win: -1, opts: &wire.Options{}})
	f.expectState(CloseWait)
	want := strings.Repeat("1", 100) + strings.Repeat("2", 100) + strings.Repeat("3", 100) + strings.Repeat("4", 100) + strings.Repeat("5", 100)
	if got, _ := f.read(); got != want {
		t.Fatalf("read %q", got)
	}
	if f.tcb.Stats().OutOfOrder != 4 {
		t.Fatalf("OutOfOrder %d", f.tcb.Stats().OutOfOrder)
	}
}

// sendFiveSegments puts five 100-byte segments in flight (MSS 100).
func sendFiveSegments(t *testing.T, cfg Config, synOpts wire.Options) *fixture {
	synOpts.HasMSS, synOpts.MSS = true, 100
	cfg.MSS = 100
	f := tcbEstablishedWith(t, cfg, synOpts, testWindow)
	f.write(strings.Repeat("0123456789", 50))
	if got := f.poll(); len(got) != 5 {
		t.Fatalf("sent %d segments:\n%s", len(got), describe(got))
	}
	return f
}

func TestFastRetransmitAfterThreeDupACKs(t *testing.T) {
	f := sendFiveSegments(t, baseConfig(), wire.Options{})
	u := localISS + 1
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow})
	f.poll()
	for range 2 {
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow})
		f.expectNothing()
	}
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow})
	f.expect(seg{flags: ack, seq: u + 100, ack: remoteISS + 1, win: -1, data: "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"})
	if f.tcb.Stats().DupACKs != 3 || !f.tcb.snd.recovery.active {
		t.Fatalf("dupacks %d recovery %v", f.tcb.Stats().DupACKs, f.tcb.snd.recovery.active)
	}
	// A partial ACK (RFC 6582): the next hole is retransmitted at once.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 200, win: testWindow})
	got := f.poll()
	if len(got) == 0 || got[0].Seq != u+200 {
		t.Fatalf("after a partial ACK:\n%s", describe(got))
	}
	// The full ACK ends recovery.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 500, win: testWindow})
	if f.tcb.snd.recovery.active {
		t.Fatal("still in recovery after the full ACK")
	}
}

func TestSACKRecoveryRetransmitsOnlyHoles(t *testing.T) {
	cfg := baseConfig()
	cfg.NoSACK = false
	cfg.MSS = 100
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 100, SACKPermitted: true}, testWindow)
	f.write(strings.Repeat("0123456789", 60))
	if got := f.poll(); len(got) != 6 {
		t.Fatalf("sent %d segments:\n%s", len(got), describe(got))
	}
	u := localISS + 1
	block := func(l, r int) wire.SACKBlock {
		return wire.SACKBlock{Left: u + seqnum.Value(l), Right: u + seqnum.Value(r)}
	}
	// Segments 2 and 4 are lost; 1, 3, 5 and 6 arrive.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow})
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow, opts: sackOpts(block(200, 300))})
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow, opts: sackOpts(block(400, 500), block(200, 300))})
	f.expectNothing() // two duplicate ACKs, two SACKed segments: not yet lost
	// The same SACK information again is no duplicate (RFC 6675 2).
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow, opts: sackOpts(block(400, 500), block(200, 300))})
	f.expectNothing()
	// A window change does not stop an ACK with new SACK information from
	// counting: the third duplicate starts recovery.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow - 500, opts: sackOpts(block(400, 600), block(200, 300))})
	got := f.poll()
	if len(got) < 1 || got[0].Seq != u+100 || len(got[0].Payload) != 100 {
		t.Fatalf("SACK recovery sent:\n%s", describe(got))
	}
	for _, s := range got {
		if s.Seq.InRange(u+200, u+300) || s.Seq.InRange(u+400, u+600) {
			t.Fatalf("retransmitted SACKed data:\n%s", describe(got))
		}
	}
	if f.tcb.Stats().DupACKs != 3 {
		t.Fatalf("DupACKs %d, want 3", f.tcb.Stats().DupACKs)
	}
}

func TestKeepalive(t *testing.T) {
	cfg := baseConfig()
	cfg.KeepAlive = true
	cfg.KeepIdle = time.Hour
	cfg.KeepInterval = time.Minute
	cfg.KeepCount = 3
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1460}, testWindow)
	if got := f.advanceToDeadline(); got != time.Hour {
		t.Fatalf("first probe after %v", got)
	}
	// RFC 1122 4.2.3.6: SEG.SEQ = SND.NXT-1, no data.
	f.expect(seg{flags: ack, seq: localISS, ack: remoteISS + 1, win: -1})
	// The peer answers: idle again.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	if got := f.advanceToDeadline(); got != time.Hour {
		t.Fatalf("probe after an answer came %v later", got)
	}
	f.expect(seg{flags: ack, seq: localISS, ack: remoteISS + 1, win: -1})
	for range 2 {
		if got := f.advanceToDeadline(); got != time.Minute {
			t.Fatalf("next probe after %v", got)
		}
		f.expect(seg{flags: ack, seq: localISS, ack: remoteISS + 1, win: -1})
	}
	f.advanceToDeadline()
	f.expectState(Closed)
	if !errors.Is(f.tcb.Err(), ErrTimedOut) {
		t.Fatalf("err %v", f.tcb.Err())
	}
}

func TestKeepaliveOffByDefault(t *testing.T) {
	f := tcbEstablished(t)
	if _, armed := f.tcb.Deadline(); armed {
		t.Fatal("a timer is armed on an idle connection without keep-alive")
	}
}

func TestOptionsNegotiation(t *testing.T) {
	cfg := Config{ReceiveBuffer: 1 << 20}
	// Active open: we offer everything.
	f := &fixture{t: t, now: epoch}
	f.tcb = Open(cfg, testID, localISS, f.now)
	got := f.poll()
	o := got[0].Options
	if !o.HasMSS || o.MSS != 1460 || !o.HasWindowScale || o.WindowScale != 5 || !o.SACKPermitted || !o.HasTimestamps || got[0].Window != 0xffff {
		t.Fatalf("SYN options %+v window %d", o, got[0].Window)
	}
	// The peer agrees to window scaling only (shift 2) and timestamps.
	f.send(seg{flags: syn | ack, seq: remoteISS, ack: localISS + 1, win: 1000,
		opts: &wire.Options{HasMSS: true, MSS: 1400, HasWindowScale: true, WindowScale: 2, HasTimestamps: true, TSVal: 77, TSEcr: o.TSVal}})
	if f.tcb.sndWnd != 1000 {
		t.Fatalf("a SYN-ACK's window must not be scaled: %d", f.tcb.sndWnd)
	}
	got = f.poll()
	a := got[0]
	if a.Options.HasWindowScale || a.Options.SACKPermitted || a.Options.HasMSS || !a.Options.HasTimestamps || a.Options.TSEcr != 77 {
		t.Fatalf("ACK options %+v", a.Options)
	}
	// Our window is now scaled by 5: 1 MiB >> 5.
	if a.Window != (1<<20)>>5 {
		t.Fatalf("scaled window %d", a.Window)
	}
	if f.tcb.opts.sackOK || !f.tcb.opts.wsOK || !f.tcb.opts.tsOK || f.tcb.opts.sendMSS != 1400-12 {
		t.Fatalf("negotiated %+v", f.tcb.opts)
	}
	// The peer's windows are scaled by 2 from now on.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: 1000, opts: tsOpts(78, a.Options.TSVal)})
	if f.tcb.sndWnd != 4000 {
		t.Fatalf("sndWnd %d, want 4000", f.tcb.sndWnd)
	}
}

func TestSynAckOptionsOnlyWhatThePeerOffered(t *testing.T) {
	f := &fixture{t: t, now: epoch}
	s := wire.Segment{SrcPort: remotePort, DstPort: localPort, Seq: remoteISS, Flags: syn, Window: 1000,
		Options: wire.Options{HasMSS: true, MSS: 536, SACKPermitted: true, HasWindowScale: true, WindowScale: 15}}
	f.tcb = OpenPassive(Config{}, testID, &s, localISS, f.now)
	got := f.poll()
	o := got[0].Options
	if !o.SACKPermitted || !o.HasWindowScale || o.HasTimestamps || o.WindowScale != windowShiftFor(DefaultReceiveBuffer) {
		t.Fatalf("SYN-ACK options %+v", o)
	}
	// RFC 7323 2.3: a shift over 14 is taken as 14.
	if f.tcb.opts.sndShift != 14 {
		t.Fatalf("sndShift %d", f.tcb.opts.sndShift)
	}
}

func TestWindowScaleFitsReceiveBuffer(t *testing.T) {
	for _, c := range []struct {
		buf   int
		shift uint8
	}{{65535, 0}, {65536, 1}, {256 << 10, 3}, {1 << 20, 5}, {1 << 30, 14}} {
		if got := windowShiftFor(c.buf); got != c.shift {
			t.Errorf("windowShiftFor(%d) = %d, want %d", c.buf, got, c.shift)
		}
	}
}

func TestDelayedACKNeverLongerThanConfigured(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	f.tcb.recv.quickAcks = 0
	for range 30 {
		f.tcb.rto.Sample(time.Second) // a long path: the RTT no longer caps the delay
	}
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "x"})
	f.expectNothing()
	if got := f.advanceToDeadline(); got != DefaultDelayedACK {
		t.Fatalf("delayed ACK after %v, want %v", got, DefaultDelayedACK)
	}
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 2, win: -1})
}

// Quick ACKs: the first segments of a connection, and those after the peer
// retransmitted, are acknowledged at once.
func TestQuickACKs(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	r := remoteISS + 1
	for i := range maxQuickAcks {
		f.send(seg{flags: ack, seq: r, ack: localISS + 1, win: testWindow, data: "q"})
		r++
		f.expect(seg{flags: ack, seq: localISS + 1, ack: r, win: -1})
		_ = i
	}
	f.send(seg{flags: ack, seq: r, ack: localISS + 1, win: testWindow, data: "d"})
	r++
	f.expectNothing() // delayed now
	f.advanceToDeadline()
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r, win: -1})
	// A retransmission of data we have: ACK, and quick ACKs again.
	f.send(seg{flags: ack, seq: r - 1, ack: localISS + 1, win: testWindow, data: "d"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r, win: -1})
	f.send(seg{flags: ack, seq: r, ack: localISS + 1, win: testWindow, data: "e"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 1, win: -1})
}

// A window that closes with data in flight: the persist timer takes over
// from the retransmission timer, probes with the first unacknowledged
// octet, and never gives up while the peer answers (RFC 9293 3.8.6.1, RFC
// 1122 4.2.2.17). Found against gVisor, which shrinks its window.
func TestZeroWindowWithDataInFlight(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, 3000)
	f.tcb.cfg.DataRetries = 3
	f.write(strings.Repeat("x", 3500))
	if got := f.poll(); len(got) != 3 {
		t.Fatalf("sent:\n%s", describe(got))
	}
	// The peer takes 2000 bytes and shuts its window: 1000 are beyond it.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2001, win: 0})
	f.expectNothing()
	rto := f.tcb.rto.RTO()
	for i := range 6 { // twice the retry limit
		if got := f.advanceToDeadline(); got != rto<<i {
			t.Fatalf("probe %d after %v, want %v", i, got, rto<<i)
		}
		f.expect(seg{flags: ack, seq: localISS + 2001, ack: remoteISS + 1, win: -1, data: "x"})
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2001, win: 0})
		if f.tcb.State() != Established {
			t.Fatalf("gave up after %d probes: %v", i+1, f.tcb.Err())
		}
	}
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2001, win: 3000})
	got := f.poll()
	if len(got) == 0 || got[0].Seq != localISS+2001 {
		t.Fatalf("after the window opened:\n%s", describe(got))
	}
}

// A silent peer behind a zero window is still given up on.
func TestZeroWindowSilentPeerTimesOut(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, 3000)
	f.tcb.cfg.DataRetries = 3
	f.write(strings.Repeat("x", 3500))
	f.poll()
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2001, win: 0})
	for range 10 {
		f.advanceToDeadline()
		f.poll()
		if f.tcb.State() == Closed {
			break
		}
	}
	if !errors.Is(f.tcb.Err(), ErrTimedOut) {
		t.Fatalf("state %v err %v", f.tcb.State(), f.tcb.Err())
	}
}

// After a timeout rewinds SND.NXT, a bare ACK is numbered SND.MAX: the peer
// may hold everything we sent, and an ACK numbered below its RCV.NXT would
// be unacceptable there (found by TestLoopRandomBidirectional: two ends
// ACKed each other's unacceptable ACKs forever).
func TestPureACKAfterTimeoutIsNumberedSndMax(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	f.write(strings.Repeat("x", 3000))
	f.poll()
	f.advanceToDeadline() // RTO: go back to SND.UNA
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: strings.Repeat("x", 1000)})
	// The peer sends data; our ACK of it goes out numbered SND.MAX.
	f.send(seg{flags: ack | fin, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 3001, ack: remoteISS + 2, win: -1})
}

// RFC 8985 7: a silent tail draws one probe after PTO (here the 10 ms floor:
// the handshake measured an RTT of 0): the last segment again, since there
// is no new data: the last MSS worth of the flight. Then only the
// retransmission timer.
func TestTailLossProbe(t *testing.T) {
	cfg := baseConfig()
	cfg.NoSACK = false
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000, SACKPermitted: true}, testWindow)
	data := strings.Repeat("a", 1000) + strings.Repeat("b", 1000) + strings.Repeat("c", 500)
	f.write(data)
	if got := f.poll(); len(got) != 3 {
		t.Fatalf("sent:\n%s", describe(got))
	}
	if got := f.advanceToDeadline(); got != minPTO {
		t.Fatalf("probe after %v, want %v", got, minPTO)
	}
	f.expect(seg{flags: ack, seq: localISS + 1501, ack: remoteISS + 1, win: -1, data: data[1500:]})
	rto := f.tcb.rto.RTO()
	if got := f.advanceToDeadline(); got != rto {
		t.Fatalf("retransmission timeout %v after the probe, want %v", got, rto)
	}
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: data[:1000]})
}

// With new data waiting, the probe carries it, past cwnd if need be.
func TestTailLossProbeSendsNewData(t *testing.T) {
	cfg := baseConfig()
	cfg.NoSACK = false
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000, SACKPermitted: true}, 3000)
	data := strings.Repeat("x", 4000)
	f.write(data)
	if got := f.poll(); len(got) != 3 {
		t.Fatalf("sent:\n%s", describe(got))
	}
	// The peer's window grows but no ACK of data arrives (all lost).
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: 5000})
	f.poll()
	f.advanceToDeadline()
	got := f.poll()
	if len(got) != 1 || got[0].Seq != localISS+3001 || len(got[0].Payload) != 1000 {
		t.Fatalf("probe:\n%s", describe(got))
	}
}

// Without SACK there is no probe (RFC 8985 requires it).
func TestNoTailLossProbeWithoutSACK(t *testing.T) {
	f := tcbEstablishedWith(t, baseConfig(), wire.Options{HasMSS: true, MSS: 1000}, testWindow)
	f.write(strings.Repeat("x", 2500))
	f.poll()
	rto := f.tcb.rto.RTO()
	if got := f.advanceToDeadline(); got != rto {
		t.Fatalf("first timer after %v, want the RTO %v", got, rto)
	}
}

// The send buffer starts small and grows to Config.SendBuffer while data is
// in flight; what goes out afterwards is still the stream, byte for byte.
func TestSendBufferGrowsWithDataInFlight(t *testing.T) {
	cfg := baseConfig()
	cfg.SendBuffer = 200 << 10
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000}, 60000)
	stream := testData(150<<10, 7)
	f.write(string(stream[:3000]))
	f.poll()
	if f.tcb.sendBuf.Cap() != initialSendBuffer {
		t.Fatalf("send buffer starts at %d bytes", f.tcb.sendBuf.Cap())
	}
	if n, _ := f.tcb.Send(f.now, stream[3000:]); n != len(stream)-3000 {
		t.Fatalf("Send took %d", n)
	}
	if f.tcb.sendBuf.Cap() < len(stream) {
		t.Fatalf("send buffer grew only to %d", f.tcb.sendBuf.Cap())
	}
	// The timeout resends from SND.UNA: the first segments come from the
	// new buffer now.
	f.advanceToDeadline()
	got := f.poll()
	if len(got) == 0 || got[0].Seq != localISS+1 || string(got[0].Payload) != string(stream[:1000]) {
		t.Fatalf("after growing:\n%s", describe(got))
	}
	var sent []byte
	for acked := localISS + 1; ; {
		for _, s := range got {
			off := int(s.Seq - localISS - 1)
			if off == len(sent) {
				sent = append(sent, s.Payload...)
			}
		}
		if len(sent) == len(stream) {
			break
		}
		acked = localISS + 1 + seqnum.Value(len(sent))
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: acked, win: 60000})
		got = f.poll()
		if len(got) == 0 {
			t.Fatalf("stalled at %d of %d bytes", len(sent), len(stream))
		}
	}
	if string(sent) != string(stream) {
		t.Fatal("the bytes sent differ from the stream written")
	}
}
