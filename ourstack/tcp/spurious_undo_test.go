package tcp

import (
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// runRecovery drives a SACK recovery with timestamps: [100, 200) looks lost
// (three later segments SACKed) and is fast-retransmitted 10 ms after the
// flight went; then the full ACK comes, echoing echo (a TSval of ours).
// It returns the fixture, cwnd before the recovery, and the TSvals of the
// original flight and of the retransmission.
func runRecovery(t *testing.T, echoRetransmit bool) (f *fixture, before int) {
	f, block := sackFixture(t, true)
	u := localISS + 1
	original := f.tcb.opts.tsVal(f.now)
	peerTS := uint32(10)
	ackWith := func(a int, blocks ...wire.SACKBlock) {
		peerTS++
		o := sackOpts(blocks...)
		o.HasTimestamps, o.TSVal, o.TSEcr = true, peerTS, original
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + wireSeq(uint32(a)), win: testWindow, opts: o})
	}
	ackWith(100)
	before = f.tcb.snd.cc.Cwnd()
	f.now = f.now.Add(10 * time.Millisecond)
	for _, r := range []int{300, 400, 500} {
		ackWith(100, block(200, r))
	}
	got := f.poll()
	if len(got) == 0 || got[0].Seq != u+100 {
		t.Fatalf("fast retransmit:\n%s", describe(got))
	}
	retransmitTS := got[0].Options.TSVal
	if retransmitTS == original {
		t.Fatal("the retransmission's TSval equals the original's: the test needs them apart")
	}
	if c := f.tcb.snd.cc.Cwnd(); c >= before {
		t.Fatalf("recovery did not cut cwnd (%d, was %d)", c, before)
	}
	f.now = f.now.Add(10 * time.Millisecond)
	if echoRetransmit {
		original = retransmitTS
	}
	ackWith(int(f.tcb.sndMax - u))
	if f.tcb.snd.recovery.active {
		t.Fatal("the full ACK did not end recovery")
	}
	return f, before
}

// The original segment was only late (reordered): the ACK that completes
// the data echoes its TSval, older than the retransmission's, so the
// recovery was spurious (RFC 3522) and the window comes back (RFC 4015).
func TestSpuriousRecoveryIsUndone(t *testing.T) {
	f, before := runRecovery(t, false)
	if c := f.tcb.snd.cc.Cwnd(); c < before {
		t.Fatalf("cwnd %d after a spurious recovery, want at least the %d before it", c, before)
	}
	if n := f.tcb.Stats().SpuriousRecoveries; n != 1 {
		t.Fatalf("SpuriousRecoveries %d, want 1", n)
	}
}

// The retransmission filled the hole: the echo is its TSval, the loss was
// real, and the reduction stands.
func TestGenuineRecoveryIsNotUndone(t *testing.T) {
	f, before := runRecovery(t, true)
	if c := f.tcb.snd.cc.Cwnd(); c >= before {
		t.Fatalf("cwnd %d after a real loss, want below %d", c, before)
	}
	if n := f.tcb.Stats().SpuriousRecoveries; n != 0 {
		t.Fatalf("SpuriousRecoveries %d, want 0", n)
	}
}

// dsackRecovery drives a SACK recovery without timestamps: [100, 200)
// looks lost (three later segments SACKed) and is fast-retransmitted; the
// full ACK that ends the recovery follows. It returns the fixture, cwnd
// before the recovery, and a function that sends an ACK of everything with
// the given SACK blocks.
func dsackRecovery(t *testing.T) (f *fixture, before int, ackAll func(blocks ...wire.SACKBlock)) {
	f, block := sackFixture(t, false)
	u := localISS + 1
	ackTo := func(a int, blocks ...wire.SACKBlock) {
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: u + wireSeq(uint32(a)), win: testWindow, opts: sackOpts(blocks...)})
	}
	ackTo(100)
	before = f.tcb.snd.cc.Cwnd()
	for _, r := range []int{300, 400, 500} {
		ackTo(100, block(200, r))
	}
	if got := f.poll(); len(got) == 0 || got[0].Seq != u+100 {
		t.Fatalf("fast retransmit:\n%s", describe(got))
	}
	if c := f.tcb.snd.cc.Cwnd(); c >= before {
		t.Fatalf("recovery did not cut cwnd (%d, was %d)", c, before)
	}
	all := int(f.tcb.sndMax - u)
	ackTo(all)
	if f.tcb.snd.recovery.active {
		t.Fatal("the full ACK did not end recovery")
	}
	return f, before, func(blocks ...wire.SACKBlock) { ackTo(all, blocks...) }
}

// The original of [100, 200) was late, not lost: after the full ACK the
// receiver reports the retransmission as a duplicate (a D-SACK block below
// the ACK), so every byte resent arrived twice: the recovery was spurious
// (RFC 3708) and the window comes back.
func TestDSACKUndoesASpuriousRecovery(t *testing.T) {
	f, before, ackAll := dsackRecovery(t)
	u := localISS + 1
	ackAll(wire.SACKBlock{Left: u + 100, Right: u + 200})
	if c := f.tcb.snd.cc.Cwnd(); c < before {
		t.Fatalf("cwnd %d after a D-SACKed recovery, want at least the %d before it", c, before)
	}
	if n := f.tcb.Stats().SpuriousRecoveries; n != 1 {
		t.Fatalf("SpuriousRecoveries %d, want 1", n)
	}
	// Once: a second report changes nothing.
	ackAll(wire.SACKBlock{Left: u + 100, Right: u + 200})
	if n := f.tcb.Stats().SpuriousRecoveries; n != 1 {
		t.Fatalf("SpuriousRecoveries %d after a repeated D-SACK, want 1", n)
	}
}

// No D-SACK, or one for bytes the recovery did not resend: the loss was
// real as far as the sender can tell, and the reduction stands.
func TestNoDSACKNoUndo(t *testing.T) {
	for name, blocks := range map[string][]wire.SACKBlock{
		"no D-SACK":            nil,
		"D-SACK of other data": {{Left: localISS + 1 + 300, Right: localISS + 1 + 400}},
	} {
		t.Run(name, func(t *testing.T) {
			f, before, ackAll := dsackRecovery(t)
			ackAll(blocks...)
			if c := f.tcb.snd.cc.Cwnd(); c >= before {
				t.Fatalf("cwnd %d, want below the %d before the recovery", c, before)
			}
			if n := f.tcb.Stats().SpuriousRecoveries; n != 0 {
				t.Fatalf("SpuriousRecoveries %d, want 0", n)
			}
		})
	}
}
