package tcp

import (
	"strings"
	"testing"
)

// Tests for buffer memory: a connection holds ring memory only while its
// buffers hold bytes, so that 10,000 idle connections cost no rings.

// bufferFootprint is the memory the TCB's send and receive rings take.
func (f *fixture) bufferFootprint() (send, receive int) {
	if f.tcb.sendBuf != nil {
		send = f.tcb.sendBuf.Footprint()
	}
	return send, f.tcb.recv.buf.Footprint()
}

func (f *fixture) expectFootprint(what string, send, receive bool) {
	f.t.Helper()
	s, r := f.bufferFootprint()
	if (s > 0) != send || (r > 0) != receive {
		f.t.Fatalf("%s: send ring %d bytes, receive ring %d bytes; want held %v, %v", what, s, r, send, receive)
	}
}

func TestEstablishedHoldsNoBuffers(t *testing.T) {
	f := tcbEstablished(t)
	f.expectFootprint("after the handshake", false, false)
}

// An echo: our data goes out and is acknowledged, the peer's arrives and is
// read. Each ring exists while it holds bytes and is gone once drained.
func TestDrainedConnectionHoldsNoBuffers(t *testing.T) {
	f := tcbEstablished(t)
	out := strings.Repeat("q", 3000)
	f.write(out)
	f.expectFootprint("our data unacknowledged", true, false)
	f.expect(
		seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: -1, data: out[:1460]},
		seg{flags: ack, seq: localISS + 1461, ack: remoteISS + 1, win: -1, data: out[1460:2920]},
		seg{flags: ack | psh, seq: localISS + 2921, ack: remoteISS + 1, win: -1, data: out[2920:]},
	)
	if n := f.tcb.Unacknowledged(); n != 3000 {
		t.Fatalf("sent, none acknowledged: Unacknowledged %d, want 3000", n)
	}
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1461, win: testWindow})
	f.expectFootprint("part acknowledged", true, false)
	if n := f.tcb.Unacknowledged(); n != 1540 {
		t.Fatalf("1460 acknowledged: Unacknowledged %d, want 1540", n)
	}
	in := strings.Repeat("r", 3000)
	f.send(seg{flags: ack | psh, seq: remoteISS + 1, ack: localISS + 3001, win: testWindow, data: in})
	f.expectFootprint("all acknowledged, the reply unread", false, true)
	if a, u := f.tcb.Unacknowledged(), f.tcb.Unread(); a != 0 || u != 3000 {
		t.Fatalf("Unacknowledged %d, Unread %d; want 0, 3000", a, u)
	}
	if got, err := f.read(); got != in || err != nil {
		t.Fatalf("read %d bytes, %v; want the reply's %d", len(got), err, len(in))
	}
	f.expectFootprint("the reply read", false, false)
}

// A partial read keeps the receive ring; the read that empties it gives it
// back.
func TestPartialReadKeepsReceiveBuffer(t *testing.T) {
	f := tcbEstablished(t)
	f.send(seg{flags: ack | psh, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "0123456789"})
	buf := make([]byte, 4)
	if n, err := f.tcb.Receive(f.now, buf); n != 4 || err != nil {
		t.Fatalf("Receive = %d, %v", n, err)
	}
	f.expectFootprint("6 bytes unread", false, true)
	if got, err := f.read(); got != "456789" || err != nil {
		t.Fatalf("read %q, %v", got, err)
	}
	f.expectFootprint("all read", false, false)
}
