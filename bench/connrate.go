package bench

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// ConnRateMSL is the MSL both stacks get in the connection-rate workload.
// Each connection takes a few milliseconds of virtual time on the default
// link, so with a 1 ms MSL only a handful sit in TIME-WAIT at once; with the
// stacks' 30 s every one of 10,000 would, and the figure would be one of
// memory as much as of rate (the scale workload measures that).
const ConnRateMSL = time.Millisecond

// ConnRate runs count connections one after another from n's client to its
// server: dial, accept, one byte each way, the client closes, the server
// reads the end and closes. It returns the real and CPU time they took.
func ConnRate(n *harness.Net, count int) (Cost, error) {
	l, err := n.Server().Listen(benchPort)
	if err != nil {
		return Cost{}, err
	}
	raddr := netip.AddrPortFrom(n.Addr(harness.Server), benchPort)
	one := []byte{'x'}
	buf := make([]byte, 16)
	m := startMeter()
	for i := range count {
		fail := func(what string, err error) (Cost, error) {
			return m.Stop(), fmt.Errorf("connection %d: %s: %w", i, what, err)
		}
		c, err := n.Client().Dial(raddr)
		if err != nil {
			return fail("dial", err)
		}
		var s harness.Conn
		if err := n.RunUntil("accept", time.Minute, func() bool {
			s, err = l.Accept()
			return err == nil
		}); err != nil {
			return fail("accept", err)
		}
		if err := exchange(n, c, s, one, buf); err != nil {
			return fail("client to server", err)
		}
		if err := exchange(n, s, c, one, buf); err != nil {
			return fail("server to client", err)
		}
		if err := c.Close(); err != nil {
			return fail("client close", err)
		}
		if err := n.RunUntil("server reads the end", time.Minute, func() bool {
			_, err := s.Read(buf)
			return errors.Is(err, io.EOF)
		}); err != nil {
			return fail("server read", err)
		}
		if err := s.Close(); err != nil {
			return fail("server close", err)
		}
		if err := n.RunUntil("both ends closed", time.Minute, func() bool {
			cs := c.State()
			return (cs == harness.TimeWait || cs == harness.Closed) && s.State() == harness.Closed
		}); err != nil {
			return fail("close", err)
		}
	}
	return m.Stop(), nil
}

// exchange writes msg on from and waits until to has read it.
func exchange(n *harness.Net, from, to harness.Conn, msg, buf []byte) error {
	if k, err := from.Write(msg); err != nil || k != len(msg) {
		return fmt.Errorf("write took %d of %d bytes: %v", k, len(msg), err)
	}
	got := 0
	return n.RunUntil("read", time.Minute, func() bool {
		k, _ := to.Read(buf[:len(msg)-got])
		got += k
		return got == len(msg)
	})
}
