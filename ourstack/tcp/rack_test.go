package tcp

import (
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Tests for RACK's time-based loss detection of first transmissions (RFC
// 8985 6, rack.go).

// rackFixture is an ESTABLISHED TCB with SACK, MSS 100 and no timestamps,
// whose handshake took 20 ms (SRTT 20 ms), that sent 1000 bytes (ten
// segments) at once, had the first 800 acknowledged 20 ms later, and has
// [800, 1000) in flight. The loss probe is due 40 ms (2*SRTT) after that.
func rackFixture(t *testing.T) (f *fixture, at func(n int) seqnum.Value, sackAck func(blocks ...wire.SACKBlock)) {
	cfg := baseConfig()
	cfg.NoSACK = false
	cfg.MSS = 100
	cfg.NoTimestamps = true
	f = &fixture{t: t, now: epoch}
	syn := wire.Segment{SrcPort: remotePort, DstPort: localPort, Seq: remoteISS, Flags: syn, Window: testWindow,
		Options: wire.Options{HasMSS: true, MSS: 100, SACKPermitted: true}}
	f.tcb = OpenPassive(cfg, testID, &syn, localISS, f.now)
	f.poll() // the SYN-ACK
	f.advance(20 * time.Millisecond)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	f.expectState(Established)
	f.write(strings.Repeat("0123456789", 100))
	if got := f.poll(); len(got) != 10 {
		t.Fatalf("sent %d segments:\n%s", len(got), describe(got))
	}
	u := localISS + 1
	at = func(n int) seqnum.Value { return u + seqnum.Value(n) }
	f.advance(20 * time.Millisecond)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: at(800), win: testWindow})
	f.expectNothing()
	sackAck = func(blocks ...wire.SACKBlock) {
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: at(800), win: testWindow, opts: sackOpts(blocks...)})
	}
	return f, at, sackAck
}

// A flight of two with its first segment lost: one SACKed segment above
// the hole, then a second, sent later, is too few for RFC 6675's IsLost
// (DupThresh segments, or more than 2 SMSS, SACKed above). RACK calls the
// hole lost once a segment sent after it is delivered and RTT + reo_wnd
// have passed since it left, and retransmits it on that ACK rather than a
// full RTO (1 s) later.
func TestRACKFindsALossInASmallFlight(t *testing.T) {
	f, at, sackAck := rackFixture(t)
	// 40 ms: [900, 1000) arrives, [800, 900) did not. Both left at 0: the
	// hole has been out 40 ms, no longer than RACK.rtt (40 ms) plus the
	// reordering window, so it may yet arrive.
	f.advance(20 * time.Millisecond)
	sackAck(wire.SACKBlock{Left: at(900), Right: at(1000)})
	f.expectNothing()
	// New data goes out at 40 ms and arrives.
	f.write(strings.Repeat("x", 100))
	f.expect(seg{flags: ack | psh, seq: at(1000), ack: remoteISS + 1, win: -1, data: strings.Repeat("x", 100)})
	f.advance(20 * time.Millisecond)
	sackAck(wire.SACKBlock{Left: at(900), Right: at(1100)})
	// RACK.rtt is now 20 ms, and the hole has been out 60 ms: lost.
	got := f.poll()
	if len(got) != 1 || got[0].Seq != at(800) || len(got[0].Payload) != 100 {
		t.Fatalf("want [800, 900) resent at once, got:\n%s", describe(got))
	}
	if s := f.tcb.Stats(); s.FastRecoveries != 1 || s.Timeouts != 0 {
		t.Fatalf("fast recoveries %d, timeouts %d; want 1, 0", s.FastRecoveries, s.Timeouts)
	}
	// Its ACK ends recovery.
	f.advance(20 * time.Millisecond)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: at(1100), win: testWindow})
	if f.tcb.snd.recovery.active {
		t.Fatal("still in recovery after the full acknowledgment")
	}
}

// Segments sent in one burst and SACKed out of order by less than the
// reordering window are not lost: no retransmission, no recovery.
func TestRACKWaitsOutTheReorderingWindow(t *testing.T) {
	f, at, sackAck := rackFixture(t)
	f.advance(20 * time.Millisecond)
	sackAck(wire.SACKBlock{Left: at(900), Right: at(1000)})
	f.expectNothing()
	// [800, 900) arrives late: a cumulative ACK, and nothing was resent.
	f.advance(time.Millisecond)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: at(1000), win: testWindow})
	f.expectNothing()
	if s := f.tcb.Stats(); s.FastRecoveries != 0 || s.Retransmits != 0 {
		t.Fatalf("fast recoveries %d, retransmits %d; want 0, 0", s.FastRecoveries, s.Retransmits)
	}
}

// After a retransmission timeout the log of transmit times is forgotten:
// everything from SND.UNA goes again, and the old times would make RACK
// call the resent data lost at once.
func TestRACKForgetsTransmitTimesAfterATimeout(t *testing.T) {
	f, _, _ := rackFixture(t)
	if len(f.tcb.snd.rack.log) != 2 {
		t.Fatalf("log holds %d segments, want the 2 in flight", len(f.tcb.snd.rack.log))
	}
	f.advanceToDeadline() // TLP first, then the RTO
	f.poll()
	for f.tcb.Stats().Timeouts == 0 {
		f.advanceToDeadline()
		f.poll()
	}
	if n := len(f.tcb.snd.rack.log); n != 0 {
		t.Fatalf("after the RTO the log holds %d segments, want none", n)
	}
}
