package tcp

import (
	"strings"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// D-SACK (RFC 2883): data that arrives a second time is reported in the
// first SACK block of the ACK it draws, once; a duplicate above RCV.NXT is
// followed by the block that holds it.

func dsackFixture(t *testing.T, sack bool) *fixture {
	cfg := baseConfig()
	cfg.NoSACK = !sack
	return tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000, SACKPermitted: sack}, testWindow)
}

func TestDSACKForAnOldDuplicate(t *testing.T) {
	f := dsackFixture(t, true)
	r := remoteISS + 1
	f.send(seg{flags: ack | psh, seq: r, ack: localISS + 1, win: testWindow, data: strings.Repeat("a", 100)})
	f.poll()
	// The same 100 bytes again: below RCV.NXT, answered at once, reported.
	f.send(seg{flags: ack | psh, seq: r, ack: localISS + 1, win: testWindow, data: strings.Repeat("a", 100)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 100, win: -1, opts: sackOpts(wire.SACKBlock{Left: r, Right: r + 100})})
	// Reported once: the next ACK carries no block.
	f.send(seg{flags: ack | psh, seq: r + 100, ack: localISS + 1, win: testWindow, data: strings.Repeat("b", 100)})
	f.send(seg{flags: ack | psh, seq: r + 200, ack: localISS + 1, win: testWindow, data: strings.Repeat("c", 100)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 300, win: -1, opts: &wire.Options{}})
}

func TestDSACKForAPartlyOldSegment(t *testing.T) {
	f := dsackFixture(t, true)
	r := remoteISS + 1
	f.send(seg{flags: ack | psh, seq: r, ack: localISS + 1, win: testWindow, data: strings.Repeat("a", 100)})
	f.poll()
	// 50 old bytes and 50 new: the old part is the D-SACK block.
	f.send(seg{flags: ack | psh, seq: r + 50, ack: localISS + 1, win: testWindow, data: strings.Repeat("a", 50) + strings.Repeat("b", 50)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 150, win: -1, opts: sackOpts(wire.SACKBlock{Left: r + 50, Right: r + 100})})
	if got, _ := f.read(); got != strings.Repeat("a", 100)+strings.Repeat("b", 50) {
		t.Fatalf("read %q", got)
	}
}

func TestDSACKForADuplicateAboveRCVNXT(t *testing.T) {
	f := dsackFixture(t, true)
	r := remoteISS + 1
	f.send(seg{flags: ack, seq: r + 100, ack: localISS + 1, win: testWindow, data: strings.Repeat("2", 100)})
	f.send(seg{flags: ack, seq: r + 300, ack: localISS + 1, win: testWindow, data: strings.Repeat("4", 100)})
	f.poll()
	// Segment 2 again: the D-SACK block, then the block holding it, then
	// the other (RFC 2883 4).
	f.send(seg{flags: ack, seq: r + 100, ack: localISS + 1, win: testWindow, data: strings.Repeat("2", 100)})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r, win: -1, opts: sackOpts(
		wire.SACKBlock{Left: r + 100, Right: r + 200},
		wire.SACKBlock{Left: r + 100, Right: r + 200},
		wire.SACKBlock{Left: r + 300, Right: r + 400})})
}

func TestNoDSACKWithoutSACK(t *testing.T) {
	f := dsackFixture(t, false)
	r := remoteISS + 1
	f.send(seg{flags: ack | psh, seq: r, ack: localISS + 1, win: testWindow, data: "a"})
	f.poll()
	f.send(seg{flags: ack | psh, seq: r, ack: localISS + 1, win: testWindow, data: "a"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 1, win: -1, opts: &wire.Options{}})
}

// The sequence of Linux's packetdrill test tcp_dsack_mult.pkt (net
// selftests), its ACKs as Linux sends them: SACK coalescing, three blocks,
// then D-SACKs for data that an in-order segment brings again, for held
// data, and for an old segment.
func TestDSACKLikeLinuxPacketdrill(t *testing.T) {
	f := dsackFixture(t, true)
	r := remoteISS + 1
	data := func(from, to int) seg {
		return seg{flags: ack | psh, seq: r + seqnum.Value(from), ack: localISS + 1, win: testWindow, data: strings.Repeat("x", to-from)}
	}
	blk := func(from, to int) wire.SACKBlock {
		return wire.SACKBlock{Left: r + seqnum.Value(from), Right: r + seqnum.Value(to)}
	}
	want := func(ackTo int, blocks ...wire.SACKBlock) seg {
		return seg{flags: ack, seq: localISS + 1, ack: r + seqnum.Value(ackTo), win: -1, opts: sackOpts(blocks...)}
	}
	for _, step := range []struct {
		in   seg
		want seg
	}{
		{data(1000, 2000), want(0, blk(1000, 2000))},
		{data(2000, 3000), want(0, blk(1000, 3000))},
		{data(4000, 5000), want(0, blk(4000, 5000), blk(1000, 3000))},
		{data(7000, 8000), want(0, blk(7000, 8000), blk(4000, 5000), blk(1000, 3000))},
		{data(0, 6000), want(6000, blk(1000, 3000), blk(7000, 8000))},
		{data(6000, 8000), want(8000, blk(7000, 8000))},
		{data(0, 1000), want(8000, blk(0, 1000))},
	} {
		f.send(step.in)
		f.expect(step.want)
	}
}
