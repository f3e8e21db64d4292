package harness

import (
	"net/netip"
	"time"
)

// Connect opens one connection from the client to the server: the server
// listens on port, the client dials it, and the Net runs (up to patience of
// virtual time) until the server has accepted. It returns both ends and
// the listener, which stays open.
func (n *Net) Connect(port uint16, patience time.Duration) (c, s Conn, l Listener, err error) {
	if l, err = n.Server().Listen(port); err != nil {
		return nil, nil, nil, err
	}
	if c, err = n.Client().Dial(netip.AddrPortFrom(n.Addr(Server), port)); err != nil {
		return nil, nil, l, err
	}
	err = n.RunUntil("accept", patience, func() bool {
		var aerr error
		s, aerr = l.Accept()
		return aerr == nil
	})
	return c, s, l, err
}
