package fuzz

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/ours"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// segConn is an ourstack connection with the raw peer at the other end, for
// The segment target (segments_into_conn_test.go): the raw peer plays TCP by
// hand, and keeps what it knows of both directions from the segments that
// crossed.
type segConn struct {
	net      *harness.Net
	raw      *harness.Raw
	oursSide harness.Side
	conn     harness.Conn // ourstack's connection (nil while only half-open at a listener)
	listener harness.Listener

	rawPort, oursPort uint16

	// What the raw peer sent: its ISS and the highest sequence number it
	// has sent (SND.MAX of the raw peer's direction).
	rawISS, rawMax seqnum.Value
	// The highest ACK the raw peer sent (its view of ourstack's SND.UNA).
	rawAck     seqnum.Value
	rawAckSent bool

	// What ourstack sent: its ISS, the window scale it applies to its
	// windows, the end of the sequence space it has used (SND.MAX), and its
	// last ACK (RCV.NXT) and window.
	oursISS, oursMax seqnum.Value
	oursShift        uint8
	oursAck          seqnum.Value
	oursAcked        bool
	oursWnd          uint32 // scaled
	oursRightEdge    seqnum.Value
	oursWritten      int  // bytes ourstack's application wrote
	oursFIN          bool // ourstack's application closed its sending side
	sawSYN           bool
	rightEdgeSet     bool

	// What ourstack's application read, and where the raw peer put FINs
	// (as offsets into its stream).
	readN      int
	readEnd    error
	rawFINs    map[int]bool
	readBuf    []byte
	violations []string
}

// The states the segment target starts from, and how to get there.
var segConnStates = []harness.State{
	harness.SynSent, harness.SynReceived, harness.Established, harness.FinWait1, harness.FinWait2,
	harness.CloseWait, harness.Closing, harness.LastAck, harness.TimeWait,
}

// rawWindowScale is the window scale the raw peer offers: its windows go
// up to 64 KiB << 2.
const rawWindowScale = 2

// segConnSetup builds the Net and drives the connection into state. passive
// puts ourstack at the listening end (SYN-RECEIVED always does).
func segConnSetup(state harness.State, passive bool, seed uint64) (*segConn, error) {
	if state == harness.SynReceived {
		passive = true
	}
	if state == harness.SynSent {
		passive = false
	}
	cfg := harness.Config{Seed: seed}
	ours := ours.NewPeer(ours.Options{TCP: tcp.Config{MSL: interopMSL, MSS: 536, ReceiveBuffer: 4 << 10, SendBuffer: 16 << 10}})
	c := &segConn{oursSide: harness.Client, rawFINs: map[int]bool{}, readBuf: make([]byte, 4096)}
	if passive {
		c.oursSide = harness.Server
		cfg.Client, cfg.Server = harness.RawPeer(), ours
	} else {
		cfg.Client, cfg.Server = ours, harness.RawPeer()
	}
	n, err := harness.NewNet(cfg)
	if err != nil {
		return nil, err
	}
	c.net = n
	c.raw = harness.RawOf(n, c.oursSide.Other())
	c.rawISS = seqnum.Value(0x80000000 - 1000 + uint32(seed)*7919) // near a wrap of the signed comparison
	c.rawMax = c.rawISS
	fail := func(format string, args ...any) (*segConn, error) {
		n.Close()
		return nil, fmt.Errorf("reaching %v: "+format, append([]any{state}, args...)...)
	}

	synOpts := packet.Options{HasMSS: true, MSS: 1000, HasWindowScale: true, WindowScale: rawWindowScale, SACKPermitted: true}
	if passive {
		c.oursPort, c.rawPort = interopPort, 40000
		if c.listener, err = n.Peer(c.oursSide).Listen(interopPort); err != nil {
			return fail("listen: %v", err)
		}
		c.send(packet.Segment{Seq: c.rawISS, Flags: packet.SYN, Window: 4096, Options: synOpts})
		if !c.sawSYN {
			return fail("no SYN-ACK to the raw peer's SYN")
		}
		if state == harness.SynReceived {
			return c, nil
		}
		c.send(packet.Segment{Seq: c.rawISS + 1, Ack: c.oursISS + 1, Flags: packet.ACK, Window: 4096})
		if c.conn, err = c.listener.Accept(); err != nil {
			return fail("accept: %v", err)
		}
		// No new incarnation from a SYN in TIME-WAIT: the fuzzed
		// segments are about this connection.
		c.listener.Close()
		c.listener = nil
		c.drain()
	} else {
		conn, err := n.Peer(c.oursSide).Dial(netip.AddrPortFrom(n.Addr(c.oursSide.Other()), interopPort))
		if err != nil {
			return fail("dial: %v", err)
		}
		c.conn = conn
		c.rawPort, c.oursPort = interopPort, conn.ID().LocalPort
		c.drain()
		if !c.sawSYN {
			return fail("no SYN from ourstack")
		}
		if state == harness.SynSent {
			return c, nil
		}
		c.send(packet.Segment{Seq: c.rawISS, Ack: c.oursISS + 1, Flags: packet.SYN | packet.ACK, Window: 4096, Options: synOpts})
	}
	c.drain()
	if c.state() != harness.Established {
		return fail("ourstack is in %v after the handshake", c.state())
	}
	finFromRaw := func(ackOurs bool) {
		ack := c.rawAck
		if ackOurs {
			ack = c.oursMax
		}
		c.send(packet.Segment{Seq: c.rawISS + 1, Ack: ack, Flags: packet.FIN | packet.ACK, Window: 4096})
	}
	switch state {
	case harness.FinWait1, harness.FinWait2, harness.Closing, harness.TimeWait:
		c.closeWrite()
		if state == harness.FinWait2 || state == harness.TimeWait {
			c.send(packet.Segment{Seq: c.rawISS + 1, Ack: c.oursMax, Flags: packet.ACK, Window: 4096})
		}
		if state == harness.Closing || state == harness.TimeWait {
			finFromRaw(state == harness.TimeWait)
		}
	case harness.CloseWait, harness.LastAck:
		finFromRaw(false)
		if state == harness.LastAck {
			c.conn.Close()
			c.oursFIN = true
			c.drain()
		}
	}
	if got := c.state(); got != state {
		return fail("ourstack is in %v", got)
	}
	return c, nil
}

// state is ourstack's state of the connection.
func (c *segConn) state() harness.State {
	id := harness.FourTuple{
		LocalAddr: c.net.Addr(c.oursSide), LocalPort: c.oursPort,
		RemoteAddr: c.net.Addr(c.oursSide.Other()), RemotePort: c.rawPort,
	}
	return c.net.State(c.oursSide, id)
}

func (c *segConn) closeWrite() {
	c.conn.CloseWrite()
	c.oursFIN = true
	c.drain()
}

// send puts seg on the wire from the raw peer, filling in the ports, notes
// what it tells ourstack, and lets ourstack answer.
func (c *segConn) send(seg packet.Segment) {
	seg.SrcPort, seg.DstPort = c.rawPort, c.oursPort
	if end := seg.Seq.Add(seg.Len()); c.rawMax.LessThan(end) {
		c.rawMax = end
	}
	if seg.Flags.Has(packet.FIN) {
		// The FIN's place in the stream: after the SYN, if any, and the data.
		fin := seg.Seq.Add(seg.Len() - 1)
		c.rawFINs[int(int32(fin-c.rawISS-1))] = true
	}
	if seg.Flags.Has(packet.ACK) && seg.Ack.LessThanEq(c.oursMax) && (!c.rawAckSent || c.rawAck.LessThan(seg.Ack)) {
		c.rawAck, c.rawAckSent = seg.Ack, true
	}
	if err := c.raw.SendSegment(seg); err != nil {
		c.violations = append(c.violations, "raw send: "+err.Error())
	}
	c.drain()
}

// drain settles the Net (at most a millisecond and a bit of virtual time,
// the link's delay both ways) and takes every segment ourstack sent.
func (c *segConn) drain() {
	if err := c.net.Advance(3 * time.Millisecond); err != nil {
		c.violations = append(c.violations, err.Error())
	}
	for c.take() != nil {
	}
}

// take takes one segment ourstack sent from the raw peer's inbox, checks
// it, and notes what it says; nil when the inbox is empty.
func (c *segConn) take() *packet.Segment {
	got := c.raw.Recv()
	if got == nil {
		return nil
	}
	if got.ParseErr != nil {
		c.violate("ourstack sent a malformed packet: %v", got.ParseErr)
		return &packet.Segment{}
	}
	seg := &got.Packet.TCP
	c.checkSent(seg)
	return seg
}

func (c *segConn) violate(format string, args ...any) {
	c.violations = append(c.violations, fmt.Sprintf(format, args...))
}
