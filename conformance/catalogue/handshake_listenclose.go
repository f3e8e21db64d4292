package catalogue

import (
	"errors"
	"io"
	"syscall"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

var _ = Register(
	// listen-close-pending: a listener closes with two connections completed
	// but not accepted and one still half-open. Expected: none lingers on the
	// server. Each client learns of it (a RST, or a FIN; the RFC leaves
	// connections never handed to the user to the implementation), at once or
	// at its next write. A new dial to the port is refused (RST+ACK,
	// RFC 9293 3.10.7.1).
	Scenario{
		Name:    "listen-close-pending",
		Section: "handshake",
		Summary: "a listener closes with connections pending: each client learns, a new dial is refused",
		RFCs:    []string{"RFC 9293 3.10.7.1", "RFC 9293 3.10.4"},
		Run:     runListenClosePending,
	},
)

func runListenClosePending(e *Env) error {
	l := e.Listen()
	c1, c2 := e.Dial(), e.Dial()
	e.WaitFor("two clients ESTABLISHED", func() bool {
		return c1.State() == harness.Established && c2.State() == harness.Established
	})
	c3 := e.Dial()
	// c3's third ACK is lost, so the server holds it half-open.
	port3 := c3.ID().LocalPort
	e.Net.AddRule(&harness.Rule{Name: "drop c3's ACKs", Dirs: harness.OnlyClientToServer,
		Match: []harness.SegCheck{harness.SrcPort(port3), harness.FlagsExclude(SYN)}})
	e.WaitFor("c3 ESTABLISHED at the client", func() bool { return c3.State() == harness.Established })
	if st := e.Net.State(harness.Server, c3.ID().Reverse()); st != harness.SynReceived {
		e.Fatalf("c3 half-open (SYN-RECEIVED) at the server", "%v", st)
	}

	e.NoError("listener Close", l.Close())
	e.Advance(10 * time.Millisecond)
	e.Net.ClearRules()
	// Each client writes; what it learns comes back at once or in answer.
	for _, c := range []harness.Conn{c1, c2, c3} {
		_, _ = c.Write([]byte("anyone there?"))
	}
	buf := make([]byte, 64)
	for _, c := range []harness.Conn{c1, c2, c3} {
		var rerr error
		e.WaitFor("the client to learn its connection is gone", func() bool {
			_, rerr = c.Read(buf)
			return !errors.Is(rerr, harness.ErrWouldBlock)
		})
		switch {
		case errors.Is(rerr, syscall.ECONNRESET):
			e.Observe("a pending connection was reset")
		case rerr == io.EOF:
			e.Observe("a pending connection was closed with a FIN")
		default:
			e.Fatalf("the client's Read to report a reset (ECONNRESET) or the end (EOF)", "Read: %v", rerr)
		}
	}
	// Nothing is left at the server once the closes play out.
	e.Advance(5 * time.Minute)
	for _, c := range []harness.Conn{c1, c2, c3} {
		if st := e.Net.State(harness.Server, c.ID().Reverse()); st != harness.Closed && st != harness.TimeWait {
			e.Fatalf("no pending connection left at the server", "%v in %v", c.ID().Reverse(), st)
		}
	}
	// The port is closed now.
	m := e.Mark()
	c4 := e.Dial()
	e.WaitFor("a new dial to end", func() bool { return c4.State() != harness.SynSent })
	e.ExpectInOrder(m, C2S(Flags(SYN), Seq(0)), S2C(Flags(RST|ACK), harness.AbsSeq(0), Ack(1)))
	if _, err := c4.Read(buf); !errors.Is(err, syscall.ECONNREFUSED) {
		e.Fatalf("a dial to a closed listener's port refused (ECONNREFUSED)", "Read: %v", err)
	}
	return nil
}
