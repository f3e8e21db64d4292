package linux

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// rawEnd is the test's end of one connection with a Linux socket: the
// sequence numbers the test tracks by hand, RFC 9293 style.
type rawEnd struct {
	port, linuxPort uint16
	sndNxt, rcvNxt  seqnum.Value
}

// establish completes a handshake from the test to a Linux listener on port
// and returns the accepted Conn.
func establish(t *testing.T, h *Host, port uint16) (*Conn, *rawEnd) {
	t.Helper()
	l, err := h.Listen(port, 8)
	if err != nil {
		t.Fatal(err)
	}
	e := &rawEnd{port: 41000, linuxPort: port, sndNxt: 1 << 31}
	send(t, h, segment(t, h, e.port, port, e.sndNxt, 0, packet.SYN, packet.Options{HasMSS: true, MSS: 1460}, nil))
	e.sndNxt++
	synack := expect(t, h).TCP
	if synack.Flags != packet.SYN|packet.ACK {
		t.Fatalf("got %v, want SYN-ACK", &synack)
	}
	e.rcvNxt = synack.Seq + 1
	e.ack(t, h)
	c, err := l.TryAccept()
	if err != nil {
		t.Fatalf("TryAccept: %v", err)
	}
	return c, e
}

// ack sends a bare ACK of everything received.
func (e *rawEnd) ack(t *testing.T, h *Host) {
	t.Helper()
	send(t, h, segment(t, h, e.port, e.linuxPort, e.sndNxt, e.rcvNxt, packet.ACK, packet.Options{}, nil))
}

// sendData sends payload (with FIN if fin) and advances sndNxt.
func (e *rawEnd) sendData(t *testing.T, h *Host, payload []byte, fin bool) {
	t.Helper()
	flags := packet.ACK | packet.PSH
	if fin {
		flags |= packet.FIN
	}
	seg := packet.Segment{Payload: payload, Flags: flags}
	send(t, h, segment(t, h, e.port, e.linuxPort, e.sndNxt, e.rcvNxt, flags, packet.Options{}, payload))
	e.sndNxt = e.sndNxt.Add(seg.Len())
}

// expectSegment reads the next segment and checks its flags, seq (against
// rcvNxt) and ack (against sndNxt), then advances rcvNxt past it.
func (e *rawEnd) expectSegment(t *testing.T, h *Host, flags packet.Flags) packet.Segment {
	t.Helper()
	seg := expect(t, h).TCP
	if seg.Flags != flags || seg.Seq != e.rcvNxt || seg.Ack != e.sndNxt {
		t.Fatalf("got %v, want [%v] seq %d ack %d", &seg, flags, e.rcvNxt, e.sndNxt)
	}
	e.rcvNxt = e.rcvNxt.Add(seg.Len())
	return seg
}

func wantState(t *testing.T, what string, got harness.State, err error, want harness.State) {
	t.Helper()
	if err != nil || got != want {
		t.Fatalf("%s: state %v (err %v), want %v", what, got, err, want)
	}
}

// Data both ways, then Linux closes first: FIN-WAIT-1, FIN-WAIT-2 and
// TIME-WAIT are read with sock_diag, because the socket's fd is gone.
func TestDataThenActiveClose(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		c, e := establish(t, h, 8081)

		if n, err := c.TryWrite([]byte("hello")); n != 5 || err != nil {
			t.Fatalf("TryWrite: %d, %v", n, err)
		}
		if seg := e.expectSegment(t, h, packet.ACK|packet.PSH); string(seg.Payload) != "hello" {
			t.Fatalf("payload %q", seg.Payload)
		}
		e.ack(t, h)

		buf := make([]byte, 64)
		if _, err := c.TryRead(buf); err != ErrWouldBlock {
			t.Fatalf("TryRead with nothing received: %v, want ErrWouldBlock", err)
		}
		e.sendData(t, h, []byte("world"), false)
		e.expectSegment(t, h, packet.ACK)
		if n, err := c.TryRead(buf); err != nil || string(buf[:n]) != "world" {
			t.Fatalf("TryRead: %q, %v", buf[:n], err)
		}

		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		e.expectSegment(t, h, packet.ACK|packet.FIN)
		st, err := c.State()
		wantState(t, "after Close", st, err, harness.FinWait1)
		e.ack(t, h)
		st, err = c.State()
		wantState(t, "after our ACK of its FIN", st, err, harness.FinWait2)
		e.sendData(t, h, nil, true)
		e.expectSegment(t, h, packet.ACK)
		st, err = c.State()
		wantState(t, "after our FIN", st, err, harness.TimeWait)
	})
}

// Linux half-closes (shutdown(SHUT_WR)) and still reads; our FIN then
// makes its Read return EOF.
func TestCloseWriteThenRead(t *testing.T) {
	h := openHost(t, Config{})
	c, e := establish(t, h, 8082)
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	e.expectSegment(t, h, packet.ACK|packet.FIN)
	e.ack(t, h)
	st, err := c.State()
	wantState(t, "after CloseWrite and our ACK", st, err, harness.FinWait2)

	e.sendData(t, h, []byte("more"), true)
	e.expectSegment(t, h, packet.ACK)
	buf := make([]byte, 64)
	if n, err := c.TryRead(buf); err != nil || string(buf[:n]) != "more" {
		t.Fatalf("TryRead: %q, %v", buf[:n], err)
	}
	if _, err := c.TryRead(buf); err != io.EOF {
		t.Fatalf("TryRead after FIN: %v, want io.EOF", err)
	}
	if _, err := c.TryWrite([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("TryWrite after CloseWrite: %v, want EPIPE", err)
	}
	st, err = c.State()
	wantState(t, "after both FINs", st, err, harness.TimeWait)
}

// Abort sends RST at SND.NXT and leaves nothing behind: no TIME-WAIT.
func TestAbortSendsRST(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		c, e := establish(t, h, 8083)
		id := c.ID()
		if err := c.Abort(); err != nil {
			t.Fatal(err)
		}
		rst := expect(t, h).TCP
		if !rst.Flags.Has(packet.RST) || rst.Seq != e.rcvNxt {
			t.Fatalf("got %v, want RST seq %d", &rst, e.rcvNxt)
		}
		st, err := h.State(id)
		wantState(t, "after Abort", st, err, harness.Closed)
		if _, err := c.TryRead(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("TryRead after Abort: %v, want net.ErrClosed", err)
		}
	})
}

// Our in-window RST at exactly RCV.NXT resets the connection (RFC 5961
// 3.2): Read reports ECONNRESET and the connection is CLOSED.
func TestPeerReset(t *testing.T) {
	h := openHost(t, Config{})
	c, e := establish(t, h, 8084)
	send(t, h, segment(t, h, e.port, e.linuxPort, e.sndNxt, 0, packet.RST, packet.Options{}, nil))
	if _, err := c.TryRead(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("TryRead after RST: %v, want ECONNRESET", err)
	}
	st, err := c.State()
	wantState(t, "after RST", st, err, harness.Closed)
}
