package tcp

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// The tests read like smoltcp's: a fixture puts a TCB in a state, send hands
// it a segment from the peer, expect polls it and compares what it sent
// field by field, expectNothing checks it is silent.

const (
	localPort  = 80
	remotePort = 49152
	localISS   = seqnum.Value(1000)
	remoteISS  = seqnum.Value(5000)
	testWindow = 64000 // fits in 16 bits: no window scale to think about
)

var (
	epoch   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	localIP = netip.MustParseAddr("192.0.2.1")
	peerIP  = netip.MustParseAddr("192.0.2.2")
	testID  = FourTuple{LocalAddr: localIP, LocalPort: localPort, RemoteAddr: peerIP, RemotePort: remotePort}
)

// baseConfig keeps the optional extensions off so that the segments of the
// lifecycle tests are the bare RFC 9293 ones.
func baseConfig() Config {
	return Config{
		MSS:           1460,
		SendBuffer:    testWindow,
		ReceiveBuffer: testWindow,
		NoWindowScale: true,
		NoSACK:        true,
		NoTimestamps:  true,
	}
}

type fixture struct {
	t   *testing.T
	tcb *TCB
	now time.Time
}

// seg describes a segment from the peer (for send) or one expected from the
// TCB (for expect). win < 0 and a nil opts mean "don't care" in expect.
type seg struct {
	flags wire.Flags
	seq   seqnum.Value
	ack   seqnum.Value
	win   int
	data  string
	opts  *wire.Options
}

const (
	syn = wire.FlagSYN
	ack = wire.FlagACK
	fin = wire.FlagFIN
	rst = wire.FlagRST
	psh = wire.FlagPSH
)

func (f *fixture) send(s seg) Verdict {
	f.t.Helper()
	w := wire.Segment{
		SrcPort: remotePort,
		DstPort: localPort,
		Seq:     s.seq,
		Ack:     s.ack,
		Flags:   s.flags,
		Window:  uint16(max(s.win, 0)),
		Payload: []byte(s.data),
	}
	if s.win < 0 {
		w.Window = testWindow
	}
	if s.opts != nil {
		w.Options = *s.opts
	}
	return f.tcb.HandleSegment(f.now, &w)
}

// poll collects what the TCB sends now, copying each segment.
func (f *fixture) poll() []wire.Segment {
	var out []wire.Segment
	f.tcb.Poll(f.now, func(s *wire.Segment) {
		c := *s
		c.Payload = append([]byte(nil), s.Payload...)
		out = append(out, c)
	})
	return out
}

func (f *fixture) expect(want ...seg) []wire.Segment {
	f.t.Helper()
	got := f.poll()
	var problems []string
	if len(got) != len(want) {
		problems = append(problems, fmt.Sprintf("got %d segments, want %d", len(got), len(want)))
	}
	for i := 0; i < min(len(got), len(want)); i++ {
		problems = append(problems, compareSeg(i, &got[i], want[i])...)
	}
	if len(problems) > 0 {
		f.t.Fatalf("at %v, state %v:\n  %s\ngot:\n%s", f.now.Sub(epoch), f.tcb.State(), strings.Join(problems, "\n  "), describe(got))
	}
	return got
}

func (f *fixture) expectNothing() {
	f.t.Helper()
	if got := f.poll(); len(got) != 0 {
		f.t.Fatalf("at %v, state %v: expected nothing, got:\n%s", f.now.Sub(epoch), f.tcb.State(), describe(got))
	}
}

func compareSeg(i int, got *wire.Segment, want seg) []string {
	var p []string
	bad := func(field string, g, w any) {
		p = append(p, fmt.Sprintf("segment %d: %s = %v, want %v", i, field, g, w))
	}
	if got.SrcPort != localPort || got.DstPort != remotePort {
		bad("ports", fmt.Sprint(got.SrcPort, ">", got.DstPort), fmt.Sprint(localPort, ">", remotePort))
	}
	if got.Flags != want.flags {
		bad("flags", got.Flags, want.flags)
	}
	if got.Seq != want.seq {
		bad("seq", got.Seq, want.seq)
	}
	if got.Ack != want.ack {
		bad("ack", got.Ack, want.ack)
	}
	if want.win >= 0 && int(got.Window) != want.win {
		bad("window", got.Window, want.win)
	}
	if string(got.Payload) != want.data {
		bad("payload", fmt.Sprintf("%d bytes %.20q", len(got.Payload), got.Payload), fmt.Sprintf("%d bytes %.20q", len(want.data), want.data))
	}
	if want.opts != nil && got.Options != *want.opts {
		bad("options", fmt.Sprintf("%+v", got.Options), fmt.Sprintf("%+v", *want.opts))
	}
	return p
}

func describe(segs []wire.Segment) string {
	var b strings.Builder
	for i, s := range segs {
		fmt.Fprintf(&b, "  %d: [%v] seq %d ack %d win %d len %d opts %+v\n", i, s.Flags, s.Seq, s.Ack, s.Window, len(s.Payload), s.Options)
	}
	return b.String()
}

func (f *fixture) expectState(s State) {
	f.t.Helper()
	if f.tcb.State() != s {
		f.t.Fatalf("state %v, want %v", f.tcb.State(), s)
	}
}

// advance moves virtual time on and runs the timers that came due.
func (f *fixture) advance(d time.Duration) {
	f.now = f.now.Add(d)
	f.tcb.HandleTimers(f.now)
}

// advanceToDeadline jumps to the next timer and runs it, returning how far
// it jumped.
func (f *fixture) advanceToDeadline() time.Duration {
	f.t.Helper()
	d, ok := f.tcb.Deadline()
	if !ok {
		f.t.Fatalf("no timer armed in %v", f.tcb.State())
	}
	jump := d.Sub(f.now)
	f.now = d
	f.tcb.HandleTimers(f.now)
	return jump
}

func (f *fixture) write(data string) {
	f.t.Helper()
	n, err := f.tcb.Send(f.now, []byte(data))
	if err != nil || n != len(data) {
		f.t.Fatalf("Send(%d bytes) = %d, %v", len(data), n, err)
	}
}

func (f *fixture) read() (string, error) {
	buf := make([]byte, 1<<20)
	n, err := f.tcb.Receive(f.now, buf)
	return string(buf[:n]), err
}

// Fixtures, one per state. The local ISS is 1000, the peer's 5000; the
// local port 80 is the "server" end of passive opens.

func tcbSynSent(t *testing.T, cfg Config) *fixture {
	f := &fixture{t: t, now: epoch}
	f.tcb = Open(cfg, testID, localISS, f.now)
	f.expect(seg{flags: syn, seq: localISS, win: -1})
	f.expectState(SynSent)
	return f
}

func tcbSynReceived(t *testing.T, cfg Config) *fixture {
	f := &fixture{t: t, now: epoch}
	s := wire.Segment{SrcPort: remotePort, DstPort: localPort, Seq: remoteISS, Flags: syn, Window: testWindow,
		Options: wire.Options{HasMSS: true, MSS: 1460}}
	f.tcb = OpenPassive(cfg, testID, &s, localISS, f.now)
	f.expect(seg{flags: syn | ack, seq: localISS, ack: remoteISS + 1, win: -1})
	f.expectState(SynReceived)
	return f
}

func tcbEstablished(t *testing.T) *fixture {
	f := tcbSynReceived(t, baseConfig())
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	f.expectNothing()
	f.expectState(Established)
	return f
}

func tcbFinWait1(t *testing.T) *fixture {
	f := tcbEstablished(t)
	if err := f.tcb.Close(f.now); err != nil {
		t.Fatal(err)
	}
	f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	f.expectState(FinWait1)
	return f
}

func tcbFinWait2(t *testing.T) *fixture {
	f := tcbFinWait1(t)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2, win: testWindow})
	f.expectNothing()
	f.expectState(FinWait2)
	return f
}

func tcbCloseWait(t *testing.T) *fixture {
	f := tcbEstablished(t)
	f.send(seg{flags: fin | ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 2, win: testWindow})
	f.expectState(CloseWait)
	return f
}

func tcbLastAck(t *testing.T) *fixture {
	f := tcbCloseWait(t)
	f.tcb.Close(f.now)
	f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 2, win: testWindow})
	f.expectState(LastAck)
	return f
}

func tcbClosing(t *testing.T) *fixture {
	f := tcbFinWait1(t)
	f.send(seg{flags: fin | ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 2, ack: remoteISS + 2, win: testWindow})
	f.expectState(Closing)
	return f
}

func tcbTimeWait(t *testing.T) *fixture {
	f := tcbFinWait2(t)
	f.send(seg{flags: fin | ack, seq: remoteISS + 1, ack: localISS + 2, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 2, ack: remoteISS + 2, win: testWindow})
	f.expectState(TimeWait)
	return f
}

// tcbInState builds a TCB in any state with a fixture.
func tcbInState(t *testing.T, s State) *fixture {
	t.Helper()
	switch s {
	case SynSent:
		return tcbSynSent(t, baseConfig())
	case SynReceived:
		return tcbSynReceived(t, baseConfig())
	case Established:
		return tcbEstablished(t)
	case FinWait1:
		return tcbFinWait1(t)
	case FinWait2:
		return tcbFinWait2(t)
	case CloseWait:
		return tcbCloseWait(t)
	case LastAck:
		return tcbLastAck(t)
	case Closing:
		return tcbClosing(t)
	case TimeWait:
		return tcbTimeWait(t)
	}
	t.Fatalf("no fixture for %v", s)
	return nil
}

// seqs gives, for a fixture's state, our SND.NXT and the peer's next
// sequence number (our RCV.NXT).
func (f *fixture) seqs() (sndNxt, rcvNxt seqnum.Value) { return f.tcb.sndNxt, f.tcb.rcvNxt }

func wireSeq(v uint32) seqnum.Value { return seqnum.Value(v) }
