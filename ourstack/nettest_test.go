package ourstack

import (
	"context"
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

// TestNetConn runs x/net/nettest's conformance checks for net.Conn (I/O,
// deadlines, Close unblocking pending calls, concurrent use) over two Stacks
// on the real clock, since nettest measures its deadlines with time.Now.
func TestNetConn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on real time (about 2 s)")
	}
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		link := newTestLink(t)
		realTime := func(o *Options) {
			o.Clock = nil
			o.TCP.DelayedACK = -1
			o.TCP.NoDelay = true
		}
		n := &testNet{t: t, link: link}
		client := n.stack(clientIP, realTime)
		server := n.stack(serverIP, realTime)
		stopLink := link.run()
		l, err := server.Listen(80, 1)
		if err != nil {
			return nil, nil, nil, err
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := l.Accept()
			accepted <- c
		}()
		c, err := client.Dial(context.Background(), "tcp", "192.0.2.2:80")
		if err != nil {
			return nil, nil, nil, err
		}
		sc := <-accepted
		stop = func() {
			c.Close()
			sc.Close()
			l.Close()
			client.Close()
			server.Close()
			stopLink()
		}
		return c, sc, stop, nil
	})
}
