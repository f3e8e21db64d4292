package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
)

// The workloads over a net.Conn, for the anchors (gVisor's own pair and
// Linux loopback): blocking calls, where the harness's are non-blocking
// and stepped, so they are written once more, for net.Conn.

// Pair is one connection dialled and accepted on a listener.
func Pair(l net.Listener, dial func() (net.Conn, error)) (c, s net.Conn, err error) {
	c, err = dial()
	if err != nil {
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	s, err = l.Accept()
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("accept: %w", err)
	}
	return c, s, nil
}

// StreamBulk is Bulk over a pair of real-time stream connections (an
// anchor's): a goroutine writes size bytes of the pattern on c in 256 KiB
// pieces and closes it, this one reads s in 256 KiB pieces and checks every
// byte. It returns the real and CPU time it took.
func StreamBulk(c, s net.Conn, size int) (Cost, error) {
	m := startMeter()
	werr := make(chan error, 1)
	go func() {
		sent := 0
		for sent < size {
			at := sent % len(pattern)
			k, err := c.Write(pattern[at:min(len(pattern), at+size-sent, at+256<<10)])
			sent += k
			if err != nil {
				werr <- fmt.Errorf("client Write after %d bytes: %w", sent, err)
				return
			}
		}
		werr <- nil
	}()
	buf := make([]byte, 256<<10)
	got := 0
	var bad error
	for got < size && bad == nil {
		k, err := s.Read(buf)
		if k > 0 {
			bad = checkPattern(buf[:k], got)
			got += k
		}
		if err != nil && bad == nil {
			bad = fmt.Errorf("server Read after %d bytes: %w", got, err)
		}
	}
	took := m.Stop()
	if bad != nil {
		c.Close() // unblocks the writer
		<-werr
		return took, bad
	}
	if err := <-werr; err != nil {
		return took, err
	}
	return took, nil
}

// StreamConnRate is ConnRate over an anchor: count connections one after
// another, each dialled, accepted, one byte each way, closed by the client,
// its end read by the server, then closed by the server. Unlike ConnRate it
// cannot wait for both ends to reach CLOSED or TIME-WAIT (neither net.Conn
// shows its state); the server's close is the last step timed.
func StreamConnRate(l net.Listener, dial func() (net.Conn, error), count int) (Cost, error) {
	one := []byte{'x'}
	buf := make([]byte, 16)
	m := startMeter()
	for i := range count {
		fail := func(what string, err error) (Cost, error) {
			return m.Stop(), fmt.Errorf("connection %d: %s: %w", i, what, err)
		}
		c, s, err := Pair(l, dial)
		if err != nil {
			return fail("open", err)
		}
		if err := streamExchange(c, s, one, buf); err != nil {
			c.Close()
			s.Close()
			return fail("client to server", err)
		}
		if err := streamExchange(s, c, one, buf); err != nil {
			c.Close()
			s.Close()
			return fail("server to client", err)
		}
		if err := c.Close(); err != nil {
			s.Close()
			return fail("client close", err)
		}
		if k, err := s.Read(buf); k != 0 || !errors.Is(err, io.EOF) {
			s.Close()
			return fail("server read", fmt.Errorf("read %d bytes and %v, want the end", k, err))
		}
		if err := s.Close(); err != nil {
			return fail("server close", err)
		}
	}
	return m.Stop(), nil
}

// streamExchange writes msg on from and reads it on to.
func streamExchange(from, to net.Conn, msg, buf []byte) error {
	if k, err := from.Write(msg); err != nil || k != len(msg) {
		return fmt.Errorf("write took %d of %d bytes: %v", k, len(msg), err)
	}
	_, err := io.ReadFull(to, buf[:len(msg)])
	return err
}
