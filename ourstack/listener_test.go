package ourstack

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestListenPortsAndErrors(t *testing.T) {
	n := newTestNet(t)
	s := n.stack("192.0.2.1", nil)
	l, err := s.Listen(80, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Addr().(*net.TCPAddr); got.Port != 80 || !got.IP.Equal(net.IPv4(192, 0, 2, 1)) {
		t.Errorf("Addr() = %v, want 192.0.2.1:80", got)
	}
	if _, err := s.Listen(80, 0); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second Listen on 80: %v, want EADDRINUSE", err)
	}
	picked, err := s.Listen(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p := picked.Addr().(*net.TCPAddr).Port; p < ephemeralFirst {
		t.Errorf("Listen(0) took port %d, not an ephemeral one", p)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
	if _, err := s.Listen(80, 0); err != nil {
		t.Errorf("Listen on 80 after its listener closed: %v", err)
	}
	s.Close()
	if _, err := s.Listen(81, 0); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Listen after Stack.Close: %v, want net.ErrClosed", err)
	}
}

func TestCloseUnblocksAccept(t *testing.T) {
	n := newTestNet(t)
	s := n.stack("192.0.2.1", nil)
	l, err := s.Listen(80, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := l.TryAccept(); c != nil || err != ErrWouldBlock {
		t.Errorf("TryAccept on an empty queue: %v, %v; want nil, ErrWouldBlock", c, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	// Close must wake the Accept whether or not it is already waiting.
	l.Close()
	select {
	case err := <-done:
		var op *net.OpError
		if !errors.Is(err, net.ErrClosed) || !errors.As(err, &op) || op.Op != "accept" {
			t.Errorf("Accept after Close: %v, want an accept *net.OpError wrapping net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still blocked 10 s after Close")
	}
	if _, err := l.TryAccept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("TryAccept after Close: %v, want net.ErrClosed", err)
	}
}

func TestAcceptDeadlineOnVirtualTime(t *testing.T) {
	n := newTestNet(t)
	s := n.stack("192.0.2.1", nil)
	l, err := s.Listen(80, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.SetDeadline(n.clock.Now().Add(time.Second))
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	n.clock.Advance(time.Second - time.Nanosecond)
	select {
	case err := <-done:
		t.Fatalf("Accept returned %v before its deadline", err)
	default:
	}
	n.clock.Advance(time.Nanosecond)
	err = <-done
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Accept at its deadline: %v, want a timeout", err)
	}
	l.SetDeadline(time.Time{})
	if _, err := l.TryAccept(); err != ErrWouldBlock {
		t.Errorf("TryAccept after clearing the deadline: %v, want ErrWouldBlock", err)
	}
}

func TestConnectUsesADistinctPortForEachConnection(t *testing.T) {
	n := newTestNet(t)
	s := n.stack("192.0.2.1", nil)
	dst := netip.MustParseAddrPort("198.51.100.7:80")
	ports := make(map[uint16]bool)
	for i := range 500 {
		c, err := s.Connect(dst)
		if err != nil {
			t.Fatalf("Connect %d: %v", i, err)
		}
		id := c.ID()
		if id.LocalAddr != s.addr || id.RemoteAddr != dst.Addr() || id.RemotePort != dst.Port() {
			t.Fatalf("Connect %d: four-tuple %+v", i, id)
		}
		if ports[id.LocalPort] || id.LocalPort < ephemeralFirst {
			t.Fatalf("Connect %d: port %d reused or outside the range", i, id.LocalPort)
		}
		ports[id.LocalPort] = true
		if got := c.LocalAddr().(*net.TCPAddr); got.Port != int(id.LocalPort) {
			t.Fatalf("LocalAddr %v, ID port %d", got, id.LocalPort)
		}
	}
}

func TestDialRejectsBadAddresses(t *testing.T) {
	n := newTestNet(t)
	s := n.stack("192.0.2.1", nil)
	ctx := context.Background()
	for _, tc := range []struct{ network, address string }{
		{"udp", "198.51.100.7:80"},
		{"tcp6", "198.51.100.7:80"},
		{"tcp", "198.51.100.7"},
		{"tcp", "[2001:db8::1]:80"},
		{"tcp", "255.255.255.255:80"},
		{"tcp", "198.51.100.7:0"},
	} {
		c, err := s.Dial(ctx, tc.network, tc.address)
		var op *net.OpError
		if c != nil || !errors.As(err, &op) || op.Op != "dial" {
			t.Errorf("Dial(%q, %q) = %v, %v; want a dial *net.OpError", tc.network, tc.address, c, err)
		}
	}
	if c, _ := counts(s); c != 0 {
		t.Errorf("%d connections left behind", c)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	send := func([]byte) {}
	for name, o := range map[string]Options{
		"no address":               {Send: send},
		"IPv4-mapped IPv6 address": {Addr: netip.MustParseAddr("::ffff:192.0.2.1"), Send: send},
		"zoned address":            {Addr: netip.MustParseAddr("fe80::1%eth0"), Send: send},
		"no Send":                  {Addr: netip.MustParseAddr("192.0.2.1")},
		"short Rand":               {Addr: netip.MustParseAddr("192.0.2.1"), Send: send, Rand: shortReader{}},
	} {
		if s, err := New(o); err == nil || s != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, s, err)
		}
	}
}

type shortReader struct{}

func (shortReader) Read(p []byte) (int, error) { return 0, errors.New("entropy exhausted") }
