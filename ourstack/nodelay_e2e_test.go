package ourstack

import (
	"errors"
	"net"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Conn.SetNoDelay toggles Nagle on a live connection, as net.TCPConn's
// does: a short write held behind an unacknowledged one goes out as soon as
// Nagle is turned off; after Close the call fails with net.ErrClosed.
func TestSetNoDelayReleasesHeldSegment(t *testing.T) {
	n, c, sc := newConnectedNet(t, nil)
	n.link.take()
	mustWrite(t, c, "a") // goes: nothing is in flight
	mustWrite(t, c, "b") // Nagle holds it: "a" is unacknowledged
	if got := dataSegments(n.link.take()); got != "a" {
		t.Fatalf("before SetNoDelay the wire carried %q, want %q", got, "a")
	}
	if err := c.SetNoDelay(true); err != nil {
		t.Fatal(err)
	}
	if got := dataSegments(n.link.take()); got != "b" {
		t.Fatalf("SetNoDelay(true) sent %q, want the held %q", got, "b")
	}
	n.link.pump()
	mustRead(t, sc, "ab")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.SetNoDelay(false); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("SetNoDelay after Close: %v, want net.ErrClosed", err)
	}
}

// dataSegments is the payloads of pkts, concatenated in order.
func dataSegments(pkts []wire.Packet) string {
	var s []byte
	for _, p := range pkts {
		s = append(s, p.TCP.Payload...)
	}
	return string(s)
}
