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
		client, server, stopLink := realTimeStacks(t, func(o *Options) {
			o.TCP.DelayedACK = -1
			o.TCP.NoDelay = true
		})
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
