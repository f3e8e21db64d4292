package tcp

import (
	"strings"
	"testing"

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
