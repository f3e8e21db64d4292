package harness

import (
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

func newTestNet(t *testing.T, cfg Config) *Net {
	t.Helper()
	n, err := NewNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func TestGVisorHandshakeEchoClose(t *testing.T) {
	n := newTestNet(t, Config{Seed: 1})
	l, err := n.Server().Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(Server), 80))
	if err != nil {
		t.Fatal(err)
	}
	var s Conn
	if err := n.RunUntil("accept", time.Second, func() bool {
		s, err = l.Accept()
		return err == nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	var got []byte
	if err := n.RunUntil("read", time.Second, func() bool {
		k, err := s.Read(buf)
		got = append(got, buf[:k]...)
		return len(got) == 5 || (err != nil && !errors.Is(err, ErrWouldBlock))
	}); err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello" {
		t.Fatalf("server read %q", got)
	}
	c.Close()
	if err := n.RunUntil("eof", time.Second, func() bool {
		_, err := s.Read(buf)
		return err == io.EOF
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := n.Quiet(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", n.Trace())
	t.Logf("client: %v", n.States(Client, c.ID()))
	t.Logf("server: %v", n.States(Server, s.ID()))
	t.Logf("now %v", n.Now())
	if c.State() != tcp.Closed {
		t.Fatal(c.State())
	}
}
