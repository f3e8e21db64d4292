package tcp

import (
	"strings"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Sequences from Linux's packetdrill selftests (tools/testing/selftests/
// net/packetdrill), replayed against the TCB. Where the RFCs and Linux
// agree, ourstack must answer as the script expects.

// tcp_disorder_fin_in_FIN_WAIT.pkt: after our FIN, the peer's ACK of it
// (seq 2) overtakes the peer's own FIN (seq 1, carrying the older ack 1).
// The ACK is acceptable (a zero-length segment with RCV.NXT =< SEG.SEQ <
// RCV.NXT+RCV.WND) and moves us to FIN-WAIT-2; the late FIN, its ACK field
// an old duplicate (RFC 9293 3.10.7.4: "can be ignored"), is taken and
// ACKed, and we go to TIME-WAIT.
func TestPacketdrillDisorderFINInFinWait(t *testing.T) {
	f := tcbEstablished(t)
	if err := f.tcb.CloseWrite(f.now); err != nil {
		t.Fatal(err)
	}
	f.expect(seg{flags: ack | fin, seq: localISS + 1, ack: remoteISS + 1, win: -1})
	f.send(seg{flags: ack, seq: remoteISS + 2, ack: localISS + 2, win: testWindow})
	f.expectNothing()
	f.expectState(FinWait2)
	f.send(seg{flags: ack | fin, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 2, ack: remoteISS + 2, win: -1})
	f.expectState(TimeWait)
}

// tcp_close_no_rst.pkt: 1000 bytes arrive and are read; the peer sends them
// again with its FIN. We ACK the FIN, and on close send our FIN, not an RST:
// nothing was left unread (RFC 2525 2.17, RFC 1122 4.2.2.13). (The script
// asks why Linux sends no D-SACK for the repeated bytes; ourstack does,
// with SACK in use.)
func TestPacketdrillCloseNoRST(t *testing.T) {
	cfg := baseConfig()
	cfg.NoSACK = false
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000, SACKPermitted: true}, 32792)
	r := remoteISS + 1
	payload := strings.Repeat("p", 1000)
	f.send(seg{flags: ack, seq: r, ack: localISS + 1, win: 32792, data: payload})
	f.advance(minDelayedACK) // the ACK may be delayed; Linux's is not
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 1000, win: -1})
	if got, err := f.read(); got != payload || err != nil {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	f.send(seg{flags: ack | fin, seq: r, ack: localISS + 1, win: 32792, data: payload})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: r + 1001, win: -1, opts: sackOpts(wire.SACKBlock{Left: r, Right: r + 1000})})
	f.expectState(CloseWait)
	if err := f.tcb.Close(f.now); err != nil {
		t.Fatal(err)
	}
	f.expect(seg{flags: ack | fin, seq: localISS + 1, ack: r + 1001, win: -1})
	f.expectState(LastAck)
}

// tcp_fast_recovery_prr-ss-10pkt-lost-1.pkt, with CUBIC as Linux runs it:
// ten segments out, the first lost; three SACKs start recovery with
// ssthresh = 0.7 x 10 segments and the fast retransmit; from then each
// segment SACKed lets one new one go (RFC 6675's pipe, equal here to PRR's
// slow-start mode since in-flight stays at ssthresh), and the ACK that ends
// recovery leaves cwnd = ssthresh = 7 segments with one more sent.
func TestPacketdrillRecoveryOneLostOfTen(t *testing.T) {
	cfg := baseConfig()
	cfg.NoSACK = false
	cfg.Congestion = "cubic"
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1000, SACKPermitted: true}, 40960)
	u := localISS + 1
	at := func(n int) seqnum.Value { return u + seqnum.Value(n) }
	data := func(from, to int) seg {
		return seg{flags: ack, seq: at(from), ack: remoteISS + 1, win: -1, data: strings.Repeat("d", to-from)}
	}
	sackTo := func(to int) seg {
		return seg{flags: ack, seq: remoteISS + 1, ack: u, win: 40960, opts: sackOpts(wire.SACKBlock{Left: at(1000), Right: at(to)})}
	}
	f.write(strings.Repeat("d", 10000))
	if got := f.poll(); len(got) != 10 {
		t.Fatalf("initial window: %d segments, want 10\n%s", len(got), describe(got))
	}
	f.send(sackTo(2000))
	f.send(sackTo(3000))
	f.expectNothing()
	f.send(sackTo(4000))
	f.expect(data(0, 1000)) // the fast retransmit
	if cw, ss := f.tcb.snd.cc.Cwnd(), f.tcb.snd.cc.Ssthresh(); ss != 7000 {
		t.Fatalf("in recovery: cwnd %d, ssthresh %d; want ssthresh 7000", cw, ss)
	}
	f.write(strings.Repeat("d", 7000))
	f.expectNothing()
	for k := 5; k <= 10; k++ {
		f.send(sackTo(k * 1000))
		f.expect(data(10000+(k-5)*1000, 11000+(k-5)*1000))
	}
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: at(10000), win: 40960}) // Linux: win 320 << wscale 7
	last := data(16000, 17000)
	last.flags |= psh // the end of the write, as Linux marks it
	f.expect(last)
	if cw, ss := f.tcb.snd.cc.Cwnd(), f.tcb.snd.cc.Ssthresh(); cw != 7000 || ss != 7000 || f.tcb.snd.recovery.active {
		t.Fatalf("after recovery: cwnd %d, ssthresh %d, recovering %v; want 7000, 7000, false", cw, ss, f.tcb.snd.recovery.active)
	}
}
