package ourstack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// End-to-end tests: two Stacks joined by the in-test link, on the in-test
// virtual clock.

var (
	clientIP = "192.0.2.1"
	serverIP = "192.0.2.2"
	server80 = netip.MustParseAddrPort("192.0.2.2:80")
)

// stateLog records OnStateChange calls per four-tuple.
type stateLog map[tcp.FourTuple][]tcp.State

func (l stateLog) hook(o *Options) {
	o.OnStateChange = func(id tcp.FourTuple, from, to tcp.State, at time.Time) {
		if len(l[id]) == 0 {
			l[id] = []tcp.State{from}
		}
		l[id] = append(l[id], to)
	}
}

// quickTCP turns off delayed ACKs so that every exchange completes within
// one pump, without advancing the clock.
func quickTCP(o *Options) { o.TCP.DelayedACK = -1 }

func both(mods ...func(*Options)) func(*Options) {
	return func(o *Options) {
		for _, m := range mods {
			m(o)
		}
	}
}

// connected returns a client Conn and the server Conn it was accepted as.
func connected(t testing.TB, n *testNet, client, server *Stack) (*Conn, *Conn) {
	t.Helper()
	l, err := server.Listen(server80.Port(), 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Connect(server80)
	if err != nil {
		t.Fatal(err)
	}
	n.link.pump()
	sc, err := l.TryAccept()
	if err != nil {
		t.Fatalf("TryAccept after the handshake: %v", err)
	}
	return c, sc
}

// newConnectedNet is a test net with a client and a server stack (both
// modified by mod, which may be nil) and one connection between them.
func newConnectedNet(t *testing.T, mod func(*Options)) (n *testNet, c, sc *Conn) {
	t.Helper()
	n = newTestNet(t)
	client := n.stack(clientIP, mod)
	server := n.stack(serverIP, mod)
	c, sc = connected(t, n, client, server)
	return n, c, sc
}

func mustWrite(t *testing.T, c *Conn, s string) {
	t.Helper()
	if n, err := c.TryWrite([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("TryWrite(%q) = %d, %v", s, n, err)
	}
}

func mustRead(t *testing.T, c *Conn, want string) {
	t.Helper()
	buf := make([]byte, 2*len(want)+16)
	n, err := c.TryRead(buf)
	if err != nil || string(buf[:n]) != want {
		t.Fatalf("TryRead = %q, %v; want %q", buf[:n], err, want)
	}
}

func expectState(t *testing.T, c *Conn, want tcp.State) {
	t.Helper()
	if got := c.State(); got != want {
		t.Fatalf("%v: state %v, want %v", c.LocalAddr(), got, want)
	}
}

func TestHandshakeEchoAndCloseThroughTimeWait(t *testing.T) {
	n := newTestNet(t)
	log := stateLog{}
	client := n.stack(clientIP, both(quickTCP, log.hook))
	server := n.stack(serverIP, both(quickTCP, log.hook))
	c, sc := connected(t, n, client, server)

	// The wire: SYN seq=x; SYN-ACK seq=y ack=x+1; ACK seq=x+1 ack=y+1.
	hs := n.link.take()
	if len(hs) != 3 {
		t.Fatalf("handshake took %d segments, want 3", len(hs))
	}
	s1, s2, s3 := hs[0].TCP, hs[1].TCP, hs[2].TCP
	if s1.Flags != wire.FlagSYN || !s1.Options.HasMSS || len(s1.Payload) != 0 {
		t.Errorf("first segment: flags %v, MSS option %v; want a bare SYN with MSS", s1.Flags, s1.Options.HasMSS)
	}
	if s2.Flags != wire.FlagSYN|wire.FlagACK || s2.Ack != s1.Seq+1 || !s2.Options.HasMSS {
		t.Errorf("second segment: flags %v ack %d; want SYN|ACK ack %d with MSS", s2.Flags, s2.Ack, s1.Seq+1)
	}
	if s3.Flags != wire.FlagACK || s3.Seq != s1.Seq+1 || s3.Ack != s2.Seq+1 {
		t.Errorf("third segment: flags %v seq %d ack %d; want ACK seq %d ack %d", s3.Flags, s3.Seq, s3.Ack, s1.Seq+1, s2.Seq+1)
	}
	if got := c.RemoteAddr().String(); got != "192.0.2.2:80" {
		t.Errorf("client RemoteAddr %s", got)
	}
	if sc.RemoteAddr().String() != c.LocalAddr().String() || sc.LocalAddr().String() != c.RemoteAddr().String() {
		t.Errorf("server sees %v -> %v, client %v -> %v", sc.RemoteAddr(), sc.LocalAddr(), c.LocalAddr(), c.RemoteAddr())
	}

	// Echo, twice each way.
	for _, msg := range []string{"hello", "a second message"} {
		mustWrite(t, c, msg)
		n.link.pump()
		mustRead(t, sc, msg)
		mustWrite(t, sc, "echo: "+msg)
		n.link.pump()
		mustRead(t, c, "echo: "+msg)
	}

	// The client closes first: it holds TIME-WAIT for 2 MSL.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	n.link.pump()
	expectState(t, c, tcp.FinWait2)
	expectState(t, sc, tcp.CloseWait)
	if k, err := sc.TryRead(make([]byte, 10)); k != 0 || err != io.EOF {
		t.Fatalf("server TryRead after the client's FIN: %d, %v; want 0, io.EOF", k, err)
	}
	sc.Close()
	n.link.pump()
	expectState(t, c, tcp.TimeWait)
	expectState(t, sc, tcp.Closed)
	if conns, _ := counts(server); conns != 0 {
		t.Errorf("server still holds %d connections after LAST-ACK", conns)
	}
	n.clock.Advance(2*tcp.DefaultMSL - time.Millisecond)
	expectState(t, c, tcp.TimeWait)
	n.clock.Advance(time.Millisecond)
	expectState(t, c, tcp.Closed)
	if conns, _ := counts(client); conns != 0 {
		t.Errorf("client still holds %d connections after TIME-WAIT", conns)
	}
	if p := n.clock.Pending(); p != 0 {
		t.Errorf("%d timers still armed", p)
	}

	want := map[tcp.FourTuple][]tcp.State{
		c.ID():  {tcp.Closed, tcp.SynSent, tcp.Established, tcp.FinWait1, tcp.FinWait2, tcp.TimeWait, tcp.Closed},
		sc.ID(): {tcp.Listen, tcp.SynReceived, tcp.Established, tcp.CloseWait, tcp.LastAck, tcp.Closed},
	}
	for id, states := range want {
		if got := log[id]; !slices.Equal(got, states) {
			t.Errorf("%v went through %v, want %v", id, got, states)
		}
	}
	st := client.Stats()
	if st.PacketsSent == 0 || st.SegmentsSent != st.PacketsSent || st.ResetsSent != 0 {
		t.Errorf("client stats: %+v", st)
	}
}

// RFC 9293 3.10.7.1: to a segment for no connection, an RST.
func TestSegmentsForNoConnectionAreAnsweredWithRST(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   wire.Segment
		want *wire.Segment // nil: no answer
	}{
		{"SYN", wire.Segment{Seq: 1000, Flags: wire.FlagSYN, Window: 1000},
			&wire.Segment{Seq: 0, Ack: 1001, Flags: wire.FlagRST | wire.FlagACK}},
		{"ACK", wire.Segment{Seq: 1000, Ack: 5000, Flags: wire.FlagACK, Window: 1000},
			&wire.Segment{Seq: 5000, Flags: wire.FlagRST}},
		{"data without ACK", wire.Segment{Seq: 1000, Flags: wire.FlagPSH, Payload: []byte("abc")},
			&wire.Segment{Seq: 0, Ack: 1003, Flags: wire.FlagRST | wire.FlagACK}},
		{"FIN+ACK", wire.Segment{Seq: 1000, Ack: 7, Flags: wire.FlagFIN | wire.FlagACK},
			&wire.Segment{Seq: 7, Flags: wire.FlagRST}},
		{"RST", wire.Segment{Seq: 1000, Flags: wire.FlagRST}, nil},
		{"RST+ACK", wire.Segment{Seq: 1000, Ack: 7, Flags: wire.FlagRST | wire.FlagACK}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t)
			s := n.stack(serverIP, nil)
			s.DeliverPacket(raw(t, clientAddr, server80, tc.in))
			sent := n.link.take()
			if tc.want == nil {
				if len(sent) != 0 {
					t.Fatalf("answered with %v", sent[0].TCP.Flags)
				}
				return
			}
			if len(sent) != 1 {
				t.Fatalf("%d answers, want 1", len(sent))
			}
			got := sent[0]
			if got.IP.Dst != clientAddr.Addr() || got.TCP.DstPort != clientAddr.Port() || got.TCP.SrcPort != server80.Port() {
				t.Errorf("RST addressed %v:%d from port %d", got.IP.Dst, got.TCP.DstPort, got.TCP.SrcPort)
			}
			if got.TCP.Flags != tc.want.Flags || got.TCP.Seq != tc.want.Seq || got.TCP.Flags.Has(wire.FlagACK) && got.TCP.Ack != tc.want.Ack {
				t.Errorf("answer flags %v seq %d ack %d; want %v seq %d ack %d",
					got.TCP.Flags, got.TCP.Seq, got.TCP.Ack, tc.want.Flags, tc.want.Seq, tc.want.Ack)
			}
			if s.Stats().ResetsSent != 1 {
				t.Errorf("ResetsSent = %d", s.Stats().ResetsSent)
			}
		})
	}
}

func TestDialToAClosedPortIsRefused(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	n.stack(serverIP, quickTCP)
	n.link.run()
	c, err := client.Dial(context.Background(), "tcp", "192.0.2.2:81")
	var op *net.OpError
	if c != nil || !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &op) || op.Op != "dial" {
		t.Fatalf("Dial = %v, %v; want a dial *net.OpError wrapping ECONNREFUSED", c, err)
	}
	if conns, _ := counts(client); conns != 0 {
		t.Errorf("client still holds %d connections", conns)
	}
}

func TestDialAndAcceptBlockUntilTheHandshake(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	n.link.run()
	l, err := server.Listen(80, 0)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	c, err := client.Dial(context.Background(), "tcp4", "192.0.2.2:80")
	if err != nil {
		t.Fatal(err)
	}
	sc := <-accepted
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(sc, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q, %v", buf, err)
	}
}

// A Dial whose SYNs vanish waits (SYN retransmissions run on virtual time,
// which this test never advances) until its context is cancelled; the
// attempt is then abandoned and leaves nothing behind.
func TestDialHonoursContextCancellation(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	n.link.drop = func(wire.Packet) bool { return true }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := client.Dial(ctx, "tcp", "192.0.2.2:80")
		done <- err
	}()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial after cancel: %v, want context.Canceled", err)
	}
	if conns, _ := counts(client); conns != 0 {
		t.Errorf("client still holds %d connections", conns)
	}
	if p := n.clock.Pending(); p != 0 {
		t.Errorf("%d timers still armed", p)
	}
}

func TestDialWithADoneContextSendsNothing(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.Dial(ctx, "tcp", "192.0.2.2:80"); !errors.Is(err, context.Canceled) {
		t.Errorf("Dial with a cancelled context: %v, want context.Canceled", err)
	}
	if sent := n.link.take(); len(sent) != 0 {
		t.Errorf("sent %d packets", len(sent))
	}
}

// With every SYN lost, Dial fails with ETIMEDOUT once the SYN retries are
// spent, on virtual time.
func TestDialTimesOutOnVirtualTime(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	n.link.drop = func(wire.Packet) bool { return true }
	c, err := client.Connect(server80)
	if err != nil {
		t.Fatal(err)
	}
	n.clock.Advance(10 * time.Minute)
	if !errors.Is(c.Err(), syscall.ETIMEDOUT) {
		t.Fatalf("after 10 virtual minutes: Err() = %v, want ETIMEDOUT", c.Err())
	}
	_, err = c.TryRead(make([]byte, 1))
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Errorf("TryRead: %v, want ETIMEDOUT", err)
	}
	if conns, _ := counts(client); conns != 0 {
		t.Errorf("client still holds %d connections", conns)
	}
}

func TestReadDeadlineOnVirtualTime(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	c, sc := connected(t, n, client, server)

	// A deadline in the past fails at once.
	c.SetReadDeadline(n.clock.Now().Add(-time.Second))
	if _, err := c.Read(make([]byte, 1)); !isTimeout(err, "read") {
		t.Fatalf("Read past its deadline: %v", err)
	}
	// A future one fails when virtual time reaches it, not before.
	c.SetReadDeadline(n.clock.Now().Add(5 * time.Second))
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	n.clock.Advance(5*time.Second - time.Nanosecond)
	select {
	case err := <-done:
		t.Fatalf("Read returned %v before its deadline", err)
	default:
	}
	n.clock.Advance(time.Nanosecond)
	if err := <-done; !isTimeout(err, "read") {
		t.Fatalf("Read at its deadline: %v", err)
	}
	// Clearing the deadline makes Read wait for data again.
	c.SetReadDeadline(time.Time{})
	go func() {
		buf := make([]byte, 4)
		_, err := io.ReadFull(c, buf)
		if err == nil && string(buf) != "late" {
			err = errors.New("read " + string(buf))
		}
		done <- err
	}()
	mustWrite(t, sc, "late")
	n.link.pump()
	if err := <-done; err != nil {
		t.Fatalf("Read after clearing the deadline: %v", err)
	}
}

// waitParked waits until some goroutine is blocked inside one of c's
// methods (a waiter holds c's wake channel). It decides nothing: it only
// orders the test after the call it started has begun waiting.
func waitParked(t *testing.T, c *Conn) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.s.mu.Lock()
		parked := c.wake.ch != nil
		c.s.mu.Unlock()
		if parked {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no call blocked on the Conn within 10 s")
		}
		runtime.Gosched()
	}
}

func isTimeout(err error, op string) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout() &&
		errors.As(err, &oe) && oe.Op == op && oe.Net == "tcp"
}

// Abort sends an RST; the peer's Read and Write report the reset, and
// neither end passes through TIME-WAIT.
func TestAbortResetsThePeer(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	c, sc := connected(t, n, client, server)
	n.link.take()
	c.Abort()
	n.link.pump()
	sent := n.link.take()
	if len(sent) != 1 || !sent[0].TCP.Flags.Has(wire.FlagRST) {
		t.Fatalf("Abort sent %d packets, want one RST", len(sent))
	}
	expectState(t, c, tcp.Closed)
	expectState(t, sc, tcp.Closed)
	var oe *net.OpError
	if _, err := sc.TryRead(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &oe) || oe.Op != "read" {
		t.Errorf("peer Read after the RST: %v, want a read *net.OpError wrapping ECONNRESET", err)
	}
	if _, err := sc.TryWrite([]byte("x")); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("peer Write after the RST: %v, want ECONNRESET", err)
	}
	for _, s := range []*Stack{client, server} {
		if conns, _ := counts(s); conns != 0 {
			t.Errorf("%v still holds %d connections", s.addr, conns)
		}
	}
}

// Both ends read and write 1 MiB at once, each from its own goroutines.
func TestConcurrentReadAndWrite(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	c, sc := connected(t, n, client, server)
	n.link.run()
	const size = 1 << 20
	payload := func(seed byte) []byte {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(i*7) ^ seed
		}
		return b
	}
	errs := make(chan error, 4)
	got := make([][]byte, 2)
	for i, conn := range []*Conn{c, sc} {
		go func() {
			_, err := conn.Write(payload(byte(i)))
			errs <- err
		}()
		go func() {
			buf := make([]byte, size)
			_, err := io.ReadFull(conn, buf)
			got[i] = buf
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got[0], payload(1)) || !bytes.Equal(got[1], payload(0)) {
		t.Error("bytes arrived altered")
	}
}

// RFC 9293 figure 7: both ends send a SYN for the same four-tuple at the
// same instant; both pass through SYN-RECEIVED to ESTABLISHED, and one
// connection carries data both ways.
func TestSimultaneousOpen(t *testing.T) {
	n := newTestNet(t)
	log := stateLog{}
	a := n.stack(clientIP, both(quickTCP, log.hook))
	b := n.stack(serverIP, both(quickTCP, log.hook))
	ca, err := a.ConnectFrom(5000, netip.MustParseAddrPort("192.0.2.2:6000"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.ConnectFrom(6000, netip.MustParseAddrPort("192.0.2.1:5000"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ConnectFrom(5000, netip.MustParseAddrPort("192.0.2.2:6000")); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("a second ConnectFrom on a live four-tuple: %v, want EADDRINUSE", err)
	}
	n.link.pump()
	want := []tcp.State{tcp.Closed, tcp.SynSent, tcp.SynReceived, tcp.Established}
	for _, c := range []*Conn{ca, cb} {
		expectState(t, c, tcp.Established)
		if got := log[c.ID()]; !slices.Equal(got, want) {
			t.Errorf("%v went through %v, want %v", c.LocalAddr(), got, want)
		}
	}
	mustWrite(t, ca, "from a")
	mustWrite(t, cb, "from b")
	n.link.pump()
	mustRead(t, cb, "from a")
	mustRead(t, ca, "from b")
}

// The half-open scenario: the server restarts and forgets the connection;
// the client's next segment draws an RST (RFC 9293 3.10.7.1) and the client
// reports the reset.
func TestRestartedPeerResetsAHalfOpenConnection(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	c, _ := connected(t, n, client, server)
	server.Close()
	n.link.discard()            // the old server's RST is lost with it
	n.stack(serverIP, quickTCP) // the restarted host, same address
	mustWrite(t, c, "anyone there?")
	n.link.pump()
	expectState(t, c, tcp.Closed)
	if _, err := c.TryRead(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client Read after the restarted peer's RST: %v, want ECONNRESET", err)
	}
}
