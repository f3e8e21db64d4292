package tcp

import (
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// sackFixture is an ESTABLISHED TCB with SACK, MSS 100, that has written
// 1500 bytes and sent the initial window, ten segments (of 100 bytes, or
// 88 with the timestamp option).
func sackFixture(t *testing.T, timestamps bool) (*fixture, func(l, r int) wire.SACKBlock) {
	cfg := baseConfig()
	cfg.NoSACK = false
	cfg.MSS = 100
	cfg.NoTimestamps = !timestamps
	opts := wire.Options{HasMSS: true, MSS: 100, SACKPermitted: true}
	if timestamps {
		opts.HasTimestamps, opts.TSVal = true, 1
	}
	f := tcbEstablishedWith(t, cfg, opts, testWindow)
	f.write(strings.Repeat("0123456789", 150))
	if got := f.poll(); len(got) != 10 {
		t.Fatalf("sent %d segments:\n%s", len(got), describe(got))
	}
	u := localISS + 1
	return f, func(l, r int) wire.SACKBlock {
		return wire.SACKBlock{Left: u + seqnum.Value(l), Right: u + seqnum.Value(r)}
	}
}

// The fast retransmission is lost too. Once data sent after it is SACKed
// (and an RTT plus the reordering window has passed: the handshake measured
// no RTT, so at once), RACK's rule (RFC 8985 6.2) resends it, long before
// the retransmission timer would.
func TestLostFastRetransmitIsResentBeforeTheTimer(t *testing.T) {
	f, block := sackFixture(t, false)
	u := localISS + 1
	dup := func(blocks ...wire.SACKBlock) {
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow, opts: sackOpts(blocks...)})
	}
	// Segment 2 ([100, 200)) is lost; 3, 4, 5 arrive: recovery.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow})
	dup(block(200, 300))
	dup(block(200, 400))
	dup(block(200, 500))
	got := f.poll()
	if len(got) != 1 || got[0].Seq != u+100 {
		t.Fatalf("fast retransmit:\n%s", describe(got))
	}
	// 6, 7 and 8 arrive: pipe (RFC 6675) makes room for one new segment,
	// [1000, 1100).
	dup(block(200, 600))
	dup(block(200, 700))
	dup(block(200, 800))
	got = f.poll()
	if len(got) != 1 || got[0].Seq != u+1000 {
		t.Fatalf("new data in recovery:\n%s", describe(got))
	}
	// The new segment arrives, the retransmission of [100, 200) did not.
	dup(block(1000, 1100), block(200, 800))
	got = f.poll()
	if len(got) == 0 || got[0].Seq != u+100 || len(got[0].Payload) != 100 {
		t.Fatalf("want [100, 200) resent at once, got:\n%s", describe(got))
	}
	if n := f.tcb.Stats().LostRetransmits; n != 1 {
		t.Fatalf("LostRetransmits %d, want 1", n)
	}
	if f.tcb.Stats().Timeouts != 0 {
		t.Fatal("the retransmission timer fired")
	}
	// It arrives: everything up to 800 is acknowledged, and the log forgets it.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 800, win: testWindow, opts: sackOpts(block(1000, 1100))})
	f.poll()
	for _, r := range f.tcb.snd.recovery.rxts {
		if r.seq == u+100 {
			t.Fatalf("a delivered retransmission is still logged: %+v", r)
		}
	}
}

// Without proof that later data got through, a retransmission is not called
// lost, however many duplicate ACKs come: SACKs of data sent before it say
// nothing about it.
func TestRetransmissionNotCalledLostWithoutLaterDelivery(t *testing.T) {
	f, block := sackFixture(t, false)
	u := localISS + 1
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow})
	for _, r := range []int{300, 400, 500, 600} {
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow, opts: sackOpts(block(200, r))})
	}
	for _, s := range f.poll() {
		if s.Seq == u+100 && f.tcb.Stats().Retransmits > 1 {
			t.Fatalf("[100, 200) sent twice:\n%s", describe([]wire.Segment{s}))
		}
	}
	if n := f.tcb.Stats().LostRetransmits; n != 0 {
		t.Fatalf("LostRetransmits %d, want 0", n)
	}
}

// With an RTT measured, RACK waits RTT plus the reordering window (RFC 8985
// 6.2 step 5) after the retransmission before calling it lost: a SACK of
// later data that comes sooner may just have overtaken it.
func TestLostRetransmitWaitsForRTTAndReorderWindow(t *testing.T) {
	f, block := sackFixture(t, false)
	for range 60 {
		f.tcb.rto.Sample(100 * time.Millisecond) // SRTT 100 ms
	}
	u := localISS + 1
	dup := func(blocks ...wire.SACKBlock) {
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow, opts: sackOpts(blocks...)})
	}
	// The ACK of the first segment samples an RTT of 0: SRTT 87.5 ms, and
	// RACK waits SRTT plus a reordering window of SRTT, 175 ms.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + 100, win: testWindow})
	for _, r := range []int{300, 400, 500} {
		dup(block(200, r))
	}
	f.poll() // the fast retransmit, at time 0
	for _, r := range []int{600, 700, 800} {
		dup(block(200, r))
	}
	f.poll() // [1000, 1100)
	f.now = f.now.Add(170 * time.Millisecond)
	dup(block(1000, 1100), block(200, 800))
	for _, s := range f.poll() {
		if s.Seq == u+100 {
			t.Fatalf("resent within RTT + reordering window:\n%s", describe([]wire.Segment{s}))
		}
	}
	f.now = f.now.Add(10 * time.Millisecond)
	dup(block(1000, 1100), block(200, 900))
	got := f.poll()
	if len(got) == 0 || got[0].Seq != u+100 {
		t.Fatalf("want [100, 200) resent 180 ms after it went, got:\n%s", describe(got))
	}
}
