package linux

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// Every socket the slow dump lists, the exact lookup finds with the same
// state: a listener, a request socket (SYN-RECEIVED), an established
// connection and one in TIME-WAIT. And a tuple nobody has is not found, even
// with a listener on its local port (the kernel's lookup falls back to it).
func TestLookupAgreesWithDump(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		// TIME-WAIT: Linux closes first, we ACK and FIN.
		c, e := establish(t, h, 8091)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		e.expectSegment(t, h, packet.ACK|packet.FIN)
		e.sendData(t, h, nil, true)
		e.expectSegment(t, h, packet.ACK)
		// ESTABLISHED, on another listener.
		establishedConn, _ := establish(t, h, 8092)
		// SYN-RECEIVED: a SYN to the second listener, never completed.
		send(t, h, segment(t, h, 41001, 8092, seqnum.Value(5), 0, packet.SYN, packet.Options{HasMSS: true, MSS: 1460}, nil))
		expect(t, h)

		all, err := h.diag.dump()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[harness.State]int{}
		for _, s := range all {
			got, found, err := h.diag.lookup(s.ID)
			if err != nil || !found || got.State != s.State {
				t.Errorf("lookup %+v: %+v, found %v, %v; dump says state %d", s.ID, got, found, err, s.State)
			}
			st, _ := stateFromLinux(s.State)
			seen[st]++
		}
		for _, want := range []harness.State{harness.Listen, harness.SynReceived, harness.Established, harness.TimeWait} {
			if seen[want] == 0 {
				t.Errorf("dump has no %v socket: %v", want, seen)
			}
		}
		nobody := establishedConn.ID()
		nobody.RemotePort += 100
		if s, found, err := h.diag.lookup(nobody); err != nil || found {
			t.Errorf("lookup of a tuple nobody has: %+v, found %v, %v", s, found, err)
		}
	})
}

// tcp_info rides along with every lookup: tcpi_bytes_acked moves when an
// ACK of new data arrives (the signature a re-armed timer is told by).
func TestLookupReadsBytesAcked(t *testing.T) {
	if off := unsafe.Offsetof(unix.TCPInfo{}.Bytes_acked); off != tcpInfoBytesAckedOff {
		t.Fatalf("tcpi_bytes_acked at %d in x/sys's TCPInfo, %d here", off, tcpInfoBytesAckedOff)
	}
	h := openHost(t, Config{})
	c, e := establish(t, h, 8095)
	before, _, err := h.diag.lookup(c.ID())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TryWrite([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	e.expectSegment(t, h, packet.ACK|packet.PSH)
	sent, _, _ := h.diag.lookup(c.ID())
	if sent.Timer != diagTimerRetrans || sent.BytesAcked != before.BytesAcked {
		t.Fatalf("after sending: timer %d, bytes acked %d; want the retransmission timer and %d", sent.Timer, sent.BytesAcked, before.BytesAcked)
	}
	e.ack(t, h)
	acked, _, _ := h.diag.lookup(c.ID())
	if acked.BytesAcked != before.BytesAcked+5 {
		t.Fatalf("bytes acked %d after our ACK, want %d", acked.BytesAcked, before.BytesAcked+5)
	}
	if sent.signature() == acked.signature() {
		t.Error("the ACK of new data left the signature as it was")
	}
}

// inet_diag_sockid has 16 bytes per address whatever the family; an IPv4
// address takes the first 4. What putDiagSockID writes, diagFourTuple reads
// back, in both families.
func TestDiagSockIDRoundTrip(t *testing.T) {
	for _, id := range []harness.FourTuple{
		{LocalAddr: DefaultAddr.Addr(), LocalPort: 80, RemoteAddr: DefaultHarnessAddr, RemotePort: 49152},
		{LocalAddr: DefaultAddr6.Addr(), LocalPort: 80, RemoteAddr: DefaultHarnessAddr6, RemotePort: 49152},
		{LocalAddr: DefaultAddr6.Addr(), LocalPort: 80}, // a listener
	} {
		family := uint8(unix.AF_INET)
		if id.LocalAddr.Is6() {
			family = unix.AF_INET6
		}
		b := make([]byte, inetDiagSockIDLen)
		putDiagSockID(b, id)
		if got := diagFourTuple(family, b); got != id {
			t.Errorf("%+v came back as %+v", id, got)
		}
	}
}
