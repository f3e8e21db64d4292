package tcp

import (
	"errors"
	"strings"
	"testing"
)

func TestICMPHardErrorEndsOnlyAConnectionAttempt(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	refused := ICMPReport{Kind: ICMPHard, Err: ErrConnectionRefused}
	refused.Seq = localISS + 1 // SND.NXT: never sent, outside SND.UNA..SND.NXT
	if f.tcb.HandleICMP(f.now, refused) {
		t.Fatal("a Port Unreachable quoting SND.NXT (RFC 5927 4.1) was acted on")
	}
	f.expectState(SynSent)
	refused.Seq = localISS
	if !f.tcb.HandleICMP(f.now, refused) {
		t.Fatal("a Port Unreachable quoting the SYN was ignored")
	}
	f.expectState(Closed)
	if !errors.Is(f.tcb.Err(), ErrConnectionRefused) {
		t.Errorf("Err() = %v, want ECONNREFUSED", f.tcb.Err())
	}

	// RFC 5461 4.1: once synchronized, the same message is soft.
	e := tcbEstablished(t)
	e.write("hello")
	e.poll()
	refused.Seq = localISS + 1
	e.tcb.HandleICMP(e.now, refused)
	e.expectState(Established)
}

// A soft error never ends the connection (RFC 1122 4.2.3.9) but is what a
// connection that then times out reports.
func TestICMPSoftErrorIsReportedAtTheTimeout(t *testing.T) {
	cfg := baseConfig()
	cfg.SynRetries = 1
	f := tcbSynSent(t, cfg)
	f.tcb.HandleICMP(f.now, ICMPReport{Kind: ICMPSoft, Seq: localISS, Err: ErrHostUnreachable})
	f.expectState(SynSent)
	for f.tcb.State() != Closed {
		f.advanceToDeadline()
		f.poll()
	}
	if !errors.Is(f.tcb.Err(), ErrHostUnreachable) {
		t.Errorf("Err() = %v, want EHOSTUNREACH, the soft error, not ETIMEDOUT", f.tcb.Err())
	}
}

func TestPacketTooBigShrinksSegmentsAndResendsAtOnce(t *testing.T) {
	f := tcbEstablished(t)
	f.write(strings.Repeat("x", 3000))
	first := f.poll()
	if len(first) != 3 || len(first[0].Payload) != 1460 {
		t.Fatalf("before: %d segments, the first of %d bytes; want 3, 1460", len(first), len(first[0].Payload))
	}
	tooBig := ICMPReport{Kind: ICMPPacketTooBig, Seq: localISS + 1, MTU: 1000, IPHeaderLen: 20, MinMTU: 68}
	if !f.tcb.HandleICMP(f.now, tooBig) {
		t.Fatal("a Packet Too Big quoting SND.UNA was ignored")
	}
	// RFC 1191 6.5: what was too big goes again, at once, in 960-byte
	// segments (1000 less both headers).
	again := f.poll()
	var total int
	for _, s := range again {
		if len(s.Payload) > 960 {
			t.Fatalf("a segment of %d bytes after a path MTU of 1000", len(s.Payload))
		}
		total += len(s.Payload)
	}
	if total != 3000 || again[0].Seq != localISS+1 {
		t.Fatalf("resent %d bytes from %d, want all 3000 from SND.UNA %d", total, again[0].Seq, localISS+1)
	}
	// A report of a bigger MTU, or one quoting data not in flight, changes nothing.
	for _, r := range []ICMPReport{
		{Kind: ICMPPacketTooBig, Seq: localISS + 1, MTU: 1400, IPHeaderLen: 20, MinMTU: 68},
		{Kind: ICMPPacketTooBig, Seq: localISS + 5000, MTU: 576, IPHeaderLen: 20, MinMTU: 68},
	} {
		if f.tcb.HandleICMP(f.now, r) {
			t.Errorf("acted on %+v", r)
		}
	}
	// Never below the family's minimum (RFC 1191 3: 68 bytes for IPv4).
	f.tcb.HandleICMP(f.now, ICMPReport{Kind: ICMPPacketTooBig, Seq: localISS + 1, MTU: 20, IPHeaderLen: 20, MinMTU: 68})
	if got := f.tcb.opts.sendMSS; got != 68-40 {
		t.Errorf("send MSS %d after an MTU report of 20, want %d (the 68-byte minimum less both headers)", got, 68-40)
	}
}
