package ourstack

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// SetKeepAliveConfig turns probing on for a live connection with its own
// timing: the first probe after Idle, then one every Interval, and after
// Count unanswered probes the connection ends with ETIMEDOUT (RFC 1122
// 4.2.3.6). The peer here is gone: nothing the client sends is delivered.
func TestSetKeepAliveConfigProbesADeadPeer(t *testing.T) {
	n, c, _ := newConnectedNet(t, nil)
	n.link.take()
	if err := c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3}); err != nil {
		t.Fatal(err)
	}
	if got, want := c.KeepAliveConfig(), (net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3}); got != want {
		t.Fatalf("KeepAliveConfig() = %+v, want %+v", got, want)
	}
	probesAt := func(d time.Duration) int {
		n.clock.Advance(d)
		n.link.discard()
		return len(n.link.take())
	}
	if got := probesAt(10*time.Second - time.Millisecond); got != 0 {
		t.Fatalf("%d segments before the idle time passed, want none", got)
	}
	for i := 1; i <= 3; i++ {
		wait := 5 * time.Second
		if i == 1 {
			wait = time.Millisecond
		}
		if got := probesAt(wait); got != 1 {
			t.Fatalf("probe %d: %d segments, want 1", i, got)
		}
		expectState(t, c, tcp.Established)
	}
	probesAt(5 * time.Second)
	if _, err := c.TryRead(make([]byte, 1)); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("Read after three unanswered probes: %v, want ETIMEDOUT", err)
	}
}

// A peer that answers keeps the connection up; SetKeepAlive(false) stops
// the probes.
func TestSetKeepAliveAnsweredThenOff(t *testing.T) {
	n, c, _ := newConnectedNet(t, nil)
	if err := c.SetKeepAlive(true); err != nil {
		t.Fatal(err)
	}
	if err := c.SetKeepAlivePeriod(time.Minute); err != nil {
		t.Fatal(err)
	}
	n.link.take()
	for range 5 {
		n.clock.Advance(time.Minute)
		n.link.pump()
	}
	expectState(t, c, tcp.Established)
	if got := fromAddr(n.link.take(), clientIP); got != 5 {
		t.Fatalf("client sent %d segments in five idle minutes, want 5 probes", got)
	}
	if err := c.SetKeepAlive(false); err != nil {
		t.Fatal(err)
	}
	n.clock.Advance(3 * time.Hour)
	n.link.pump()
	if got := len(n.link.take()); got != 0 {
		t.Fatalf("%d segments in three hours with keep-alive off, want none", got)
	}
}

// After SetLinger(0), Close resets the connection: an RST goes out, the
// client is CLOSED at once (no TIME-WAIT), and the server's Read fails with
// ECONNRESET.
func TestSetLingerZeroCloseResets(t *testing.T) {
	n, c, sc := newConnectedNet(t, nil)
	mustWrite(t, c, "unsent maybe")
	n.link.discard()
	n.link.take()
	if err := c.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	pkts := n.link.take()
	if len(pkts) != 1 || !pkts[0].TCP.Flags.Has(wire.FlagRST) {
		t.Fatalf("Close after SetLinger(0) sent %d segments (%v), want one RST", len(pkts), pkts)
	}
	expectState(t, c, tcp.Closed)
	n.link.pump()
	if _, err := sc.TryRead(make([]byte, 64)); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("server Read after the client's linger-0 Close: %v, want ECONNRESET", err)
	}
}

// SetReadBuffer on a live connection: a larger buffer opens the window at
// once (a window update goes out) and the peer fills it.
func TestSetReadBufferOpensTheWindow(t *testing.T) {
	n, c, sc := newConnectedNet(t, nil)
	payload := make([]byte, 64<<10)
	feed := func() { c.TryWrite(payload) } // as much as the send buffer takes
	pumpWithTimers(n, feed)
	before := sc.tcb.Unread()
	if before == 0 || before > tcp.DefaultReceiveBuffer+64<<10 {
		t.Fatalf("server holds %d bytes unread, want up to its %d-byte buffer", before, tcp.DefaultReceiveBuffer)
	}
	n.link.take()
	if err := sc.SetReadBuffer(4 * tcp.DefaultReceiveBuffer); err != nil {
		t.Fatal(err)
	}
	var update bool
	for _, p := range n.link.take() {
		update = update || p.TCP.Window > 0
	}
	if !update {
		t.Fatal("SetReadBuffer(4x the default) on a full buffer sent no window update")
	}
	pumpWithTimers(n, feed)
	if after := sc.tcb.Unread(); after < before+128<<10 {
		t.Fatalf("after SetReadBuffer(4x the default) the server holds %d bytes, want well over the %d it held", after, before)
	}
}

// Bad settings fail with EINVAL and say what was wrong; any setting after
// Close fails with net.ErrClosed.
func TestSocketOptionErrors(t *testing.T) {
	_, c, _ := newConnectedNet(t, nil)
	for name, err := range map[string]error{
		"SetReadBuffer(0)":   c.SetReadBuffer(0),
		"SetWriteBuffer(-1)": c.SetWriteBuffer(-1),
	} {
		if !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%s = %v, want EINVAL", name, err)
		}
	}
	c.Close()
	for name, err := range map[string]error{
		"SetKeepAlive":       c.SetKeepAlive(true),
		"SetKeepAlivePeriod": c.SetKeepAlivePeriod(time.Second),
		"SetKeepAliveConfig": c.SetKeepAliveConfig(net.KeepAliveConfig{}),
		"SetLinger":          c.SetLinger(0),
		"SetNoDelay":         c.SetNoDelay(true),
		"SetReadBuffer":      c.SetReadBuffer(1 << 16),
		"SetWriteBuffer":     c.SetWriteBuffer(1 << 16),
	} {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close = %v, want net.ErrClosed", name, err)
		}
	}
}

// pumpWithTimers keeps the sender fed and delivers everything, letting
// delayed ACKs and the persist timer run, for 12.5 s of virtual time.
func pumpWithTimers(n *testNet, feed func()) {
	for range 50 {
		feed()
		n.link.pump()
		n.clock.Advance(250 * time.Millisecond)
	}
	n.link.pump()
}

// fromAddr counts the packets sent from addr.
func fromAddr(pkts []wire.Packet, addr string) int {
	k := 0
	for _, p := range pkts {
		if p.IP.Src.String() == addr {
			k++
		}
	}
	return k
}

// SetReadBuffer to less than what is buffered and offered: the window
// closes as the peer fills what was already offered, but its right edge
// never moves left (RFC 9293 3.8.6.2.2) and no byte sent inside it is
// thrown away.
//
// The buffer is 256 KiB, window scale 3: a unit of 8 bytes divides the
// 1448-byte segments, so the right edge, rounded up to the unit so as not
// to move left, never creeps past the window offered. With a larger scale
// (5 at the default 1 MiB) each ACK's rounding moves it up to a unit on,
// as Linux's tcp_select_window does, and the held bytes exceed the offer by
// that.
func TestSetReadBufferShrinksWithoutRetreating(t *testing.T) {
	const offered = 256 << 10
	n, c, sc := newConnectedNet(t, func(o *Options) { o.TCP.ReceiveBuffer = offered })
	var shift uint8
	for _, p := range n.link.take() {
		if p.TCP.Flags.Has(wire.FlagSYN) && p.IP.Src.String() == serverIP {
			shift = p.TCP.Options.WindowScale
		}
	}
	if err := sc.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 64<<10)
	pumpWithTimers(n, func() { c.TryWrite(payload) })
	var edge uint32
	var acks int
	var closed bool
	for _, p := range n.link.take() {
		if p.IP.Src.String() != serverIP || !p.TCP.Flags.Has(wire.FlagACK) {
			continue
		}
		e := uint32(p.TCP.Ack) + uint32(p.TCP.Window)<<shift
		if acks > 0 && int32(e-edge) < 0 {
			t.Fatalf("ACK %d moved the right edge left: %d, after %d", acks, e, edge)
		}
		edge = e
		acks++
		if p.TCP.Window == 0 {
			closed = true
		}
	}
	// It offered its whole default buffer before the call, and took it.
	held := sc.tcb.Unread()
	if low, high := offered-1<<shift, offered+1<<shift; held < low || held > high {
		t.Fatalf("server holds %d bytes, want the %d-byte window it had offered (%d to %d)", held, offered, low, high)
	}
	if !closed {
		t.Fatal("the server never closed its window")
	}
}

// SetWriteBuffer bounds what Write takes from then on, even below the size
// the send buffer had already grown to.
func TestSetWriteBufferBoundsWrites(t *testing.T) {
	n, c, _ := newConnectedNet(t, nil)
	n.link.discard()
	if k, err := c.TryWrite(make([]byte, 100<<10)); err != nil || k < 64<<10 {
		t.Fatalf("TryWrite(100 KiB) with the default buffer = %d, %v", k, err)
	}
	n.link.pump() // acknowledged, but for what a delayed ACK still holds
	if err := c.SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	n.link.discard() // what goes out now stays unacknowledged, so buffered
	if k, err := c.TryWrite(make([]byte, 64<<10)); err != nil || k == 0 || k > 4096 {
		t.Fatalf("TryWrite(64 KiB) after SetWriteBuffer(4096) = %d, %v; want 1 to 4096 bytes", k, err)
	}
	if k, err := c.TryWrite([]byte("x")); k != 0 || !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("TryWrite on a full 4096-byte buffer = %d, %v; want ErrWouldBlock", k, err)
	}
}
