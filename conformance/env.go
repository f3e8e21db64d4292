package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// Env is what a scenario works with: the Net, its two peers, and helpers
// that act at the application level and check what happens. Helpers that
// wait run the Net on virtual time, up to Patience, and fail the scenario
// if what they wait for does not happen.
type Env struct {
	Scenario Scenario
	Pairing  Pairing
	Seed     uint64
	Net      *harness.Net
	// Client dials; Server listens.
	Client, Server harness.Peer
	// MSL both stacks were given; TIME-WAIT lasts 2*MSL.
	MSL time.Duration
	// Port is the server's listening port (ServerPort).
	Port uint16
	// Patience is how much virtual time a waiting helper allows.
	Patience time.Duration

	notes notes
}

// Fatalf fails the scenario now: format describes what was expected, got
// what came instead.
func (e *Env) Fatalf(expected, got string, args ...any) {
	panic(failNow{expected: expected, got: fmt.Sprintf(got, args...)})
}

// Fail fails the scenario now.
func (e *Env) Fail(expected, got string) { panic(failNow{expected: expected, got: got}) }

// Unsupported stops the scenario now as a skip: a stack at one end cannot
// show what the scenario needs of it (reason says which and why), so the
// run comes to no verdict. It is for what a run finds out only once under
// way; what a scenario asks of a stack before it starts goes in Setup.
func (e *Env) Unsupported(reason string) { panic(skipNow{reason: reason}) }

// skipNow is what Unsupported panics with; run turns it into an error
// wrapping harness.ErrUnsupported.
type skipNow struct{ reason string }

// NoError fails the scenario if err is not nil; what names the action.
func (e *Env) NoError(what string, err error) {
	if err != nil {
		e.Fail(what+" to succeed", what+": "+err.Error())
	}
}

// Side tells which end a connection belongs to.
func (e *Env) Side(c harness.Conn) harness.Side {
	if c.ID().LocalAddr == e.Net.Addr(harness.Client) {
		return harness.Client
	}
	return harness.Server
}

// ServerAddr is where the client dials.
func (e *Env) ServerAddr() netip.AddrPort {
	return netip.AddrPortFrom(e.Net.Addr(harness.Server), e.Port)
}

// Settle delivers everything due now and lets both stacks finish.
func (e *Env) Settle() { e.NoError("settle", e.Net.Settle()) }

// Drain runs the Net until no packet is on the wire: the exchange under way
// plays out; timers that are not due yet stay pending.
func (e *Env) Drain() { e.NoError("drain the wire", e.Net.Drain(e.Patience)) }

// Advance moves virtual time forward by d, handling every event on the way.
func (e *Env) Advance(d time.Duration) { e.NoError("advance "+d.String(), e.Net.Advance(d)) }

// AdvanceTo moves virtual time to at (since harness.Epoch).
func (e *Env) AdvanceTo(at time.Duration) { e.NoError("advance", e.Net.AdvanceTo(at)) }

// Now is the virtual time since harness.Epoch.
func (e *Env) Now() time.Duration { return e.Net.Now() }

// WaitFor runs the Net until cond holds, failing the scenario after
// Patience of virtual time; what names the awaited event.
func (e *Env) WaitFor(what string, cond func() bool) {
	if err := e.Net.RunUntil(what, e.Patience, cond); err != nil {
		e.lnetoStalled()
		e.Fail(what, err.Error())
	}
}

// Listen opens the server's listener on Port.
func (e *Env) Listen() harness.Listener {
	l, err := e.Server.Listen(e.Port)
	e.NoError("server Listen", err)
	e.Settle()
	return l
}

// Dial starts the client's active open to the server and returns at once.
func (e *Env) Dial() harness.Conn {
	c, err := e.Client.Dial(e.ServerAddr())
	e.NoError("client Dial", err)
	return c
}

// Accept waits for the listener to hand over a connection.
func (e *Env) Accept(l harness.Listener) harness.Conn {
	var s harness.Conn
	var last error
	e.WaitFor("server Accept to return a connection", func() bool {
		s, last = l.Accept()
		return last == nil
	})
	return s
}

// Connect is Listen, Dial and Accept: an established pair, client first.
func (e *Env) Connect() (client, server harness.Conn) {
	l := e.Listen()
	c := e.Dial()
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	return c, s
}

// WriteAll writes every byte of p on c, running the Net while the send
// buffer is full.
func (e *Env) WriteAll(c harness.Conn, p []byte) {
	who := e.Side(c).String()
	for len(p) > 0 {
		var n int
		var err error
		e.WaitFor(who+" Write to take data", func() bool {
			n, err = c.Write(p)
			return !errors.Is(err, harness.ErrWouldBlock) || n > 0
		})
		if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
			e.Fatalf(who+" Write to succeed", "%s Write: %v", who, err)
		}
		p = p[n:]
	}
	e.Settle()
}

// ReadN runs the Net until n bytes have been read from c and returns them.
func (e *Env) ReadN(c harness.Conn, n int) []byte {
	who := e.Side(c).String()
	got := make([]byte, 0, n)
	buf := make([]byte, min(n, 64<<10))
	var rerr error
	e.WaitFor(fmt.Sprintf("%s to read %d bytes", who, n), func() bool {
		for len(got) < n {
			k, err := c.Read(buf[:min(len(buf), n-len(got))])
			got = append(got, buf[:k]...)
			if err != nil {
				if !errors.Is(err, harness.ErrWouldBlock) {
					rerr = err
					return true
				}
				return false
			}
		}
		return true
	})
	if rerr != nil {
		e.lnetoAbortedOnUnacceptable()
		e.Fatalf(fmt.Sprintf("%s to read %d bytes", who, n), "%s Read returned %v after %d bytes", who, rerr, len(got))
	}
	return got
}

// ExpectRead reads len(want) bytes from c and fails unless they equal want.
func (e *Env) ExpectRead(c harness.Conn, want []byte) {
	got := e.ReadN(c, len(want))
	if !bytes.Equal(got, want) {
		e.Fatalf(fmt.Sprintf("%s to read %q", e.Side(c), want), "%q", got)
	}
}

// ReadEOF runs the Net until Read on c returns io.EOF; data before it fails
// the scenario.
func (e *Env) ReadEOF(c harness.Conn) {
	who := e.Side(c).String()
	buf := make([]byte, 512)
	var stray []byte
	var rerr error
	e.WaitFor(who+" Read to return EOF", func() bool {
		k, err := c.Read(buf)
		stray = append(stray, buf[:k]...)
		if errors.Is(err, harness.ErrWouldBlock) {
			return false
		}
		rerr = err
		return true
	})
	if rerr != io.EOF || len(stray) > 0 {
		e.Fatalf(who+" Read to return EOF", "%d bytes, then %v", len(stray), rerr)
	}
}

// Close closes c (the application's CLOSE) and fails if it errs. At a
// lneto end that already sent its FIN from CLOSE-WAIT unasked, the Close
// that fails is that deviation (LnetoFINFromCloseWaitUnasked).
func (e *Env) Close(c harness.Conn) {
	err := c.Close()
	if err != nil && e.lnetoClosedUnasked(c) {
		return
	}
	e.NoError(e.Side(c).String()+" Close", err)
}

// CloseWrite half-closes c.
func (e *Env) CloseWrite(c harness.Conn) {
	e.NoError(e.Side(c).String()+" CloseWrite", c.CloseWrite())
}
