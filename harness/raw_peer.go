package harness

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/harness/packet"
)

// RawPeer builds a peer with no TCP at all: a test's hand on the wire, in the
// style of gVisor's packetimpact testbench. The test builds any segment with
// the wire codec (legal or not) and sends it; every packet the other end
// sends back waits in the raw peer's inbox until the test takes it. Get it
// from a Net with RawOf(n, side).
func RawPeer() PeerMaker {
	return func(env PeerEnv) (Peer, error) {
		return &Raw{env: env, buf: make([]byte, 1<<16)}, nil
	}
}

// Raw is the raw peer.
type Raw struct {
	env   PeerEnv
	net   *Net
	buf   []byte
	inbox []rawPacket
}

type rawPacket struct {
	bytes []byte
	rec   *Record // set once the Net has recorded its delivery
}

// RawOf returns the raw peer at side of n, or nil if that end is not one.
func RawOf(n *Net, side Side) *Raw {
	r, _ := n.Peer(side).(*Raw)
	return r
}

func (r *Raw) keepsNoState() {}

func (r *Raw) Name() string     { return "raw" }
func (r *Raw) Addr() netip.Addr { return r.env.Addr }

func (r *Raw) Deliver(pkt []byte) {
	r.inbox = append(r.inbox, rawPacket{bytes: append([]byte(nil), pkt...)})
}

func (r *Raw) Settle() {}

// Counters: the raw peer keeps none.
func (r *Raw) Counters() (Counters, bool) { return Counters{}, false }

func (r *Raw) Listen(uint16) (Listener, error)   { return nil, ErrNotSupported }
func (r *Raw) Dial(netip.AddrPort) (Conn, error) { return nil, ErrNotSupported }
func (r *Raw) Close() error                      { return nil }

// Send builds p and puts it on the wire. Unset addresses default to this
// peer's and the other end's, a zero TTL to 64; the checksums and lengths
// are computed unless ill says to keep p's.
func (r *Raw) Send(p packet.Packet, ill packet.Illegal) error {
	if !p.IP.Src.IsValid() {
		p.IP.Src = r.env.Addr
	}
	if !p.IP.Dst.IsValid() && r.net != nil {
		p.IP.Dst = r.net.Addr(r.env.Side.Other())
	}
	if p.IP.TTL == 0 {
		p.IP.TTL = 64
	}
	if n := packet.Len(p); n > packet.MaxLen(p.IP) {
		return fmt.Errorf("harness: raw send: a packet of %d bytes: %w", n, packet.ErrTooLong)
	}
	r.env.Transmit(p.Encode(ill))
	return nil
}

// SendSegment sends seg from this peer to the other end in a plain IPv4 packet.
func (r *Raw) SendSegment(seg packet.Segment) error {
	return r.Send(packet.Packet{TCP: seg}, packet.Illegal{})
}

// SendBytes puts pkt on the wire as it is.
func (r *Raw) SendBytes(pkt []byte) { r.env.Transmit(pkt) }

// Pending is how many received packets wait in the inbox.
func (r *Raw) Pending() int { return len(r.inbox) }

// Recv takes the oldest packet from the inbox without running the Net; nil
// when the inbox is empty.
func (r *Raw) Recv() *Received {
	if len(r.inbox) == 0 {
		return nil
	}
	in := r.inbox[0]
	r.inbox = r.inbox[1:]
	p, err := packet.Parse(in.bytes)
	return &Received{Packet: p, Bytes: in.bytes, ParseErr: err, Record: in.rec}
}

// Received is a packet the raw peer took from its inbox.
type Received struct {
	// Packet is the parsed packet; its Payload aliases Bytes.
	Packet   packet.Packet
	Bytes    []byte
	ParseErr error
	// Record is the packet's line in the Net's trace.
	Record *Record
}

// Expect runs the Net until a packet arrives (at most within of virtual
// time), takes it, and checks it.
func (r *Raw) Expect(within time.Duration, checks ...SegCheck) (*Received, error) {
	n := r.mustNet()
	if err := n.RunUntil("a packet at the raw "+r.env.Side.String(), within, func() bool { return len(r.inbox) > 0 }); err != nil {
		return nil, fmt.Errorf("expected %s: %w", DescribeChecks(checks), err)
	}
	got := r.Recv()
	if err := CheckRecord(got.Record, checks...); err != nil {
		return got, fmt.Errorf("expected %s, got #%d %s: %w", DescribeChecks(checks), got.Record.Index, formatPacket(got.Record, newSeqBases(true)), err)
	}
	if got.ParseErr != nil {
		return got, fmt.Errorf("harness: raw peer received a malformed packet: %w", got.ParseErr)
	}
	return got, nil
}

// ExpectNone runs the Net for d of virtual time and fails if any packet
// arrives in that time.
func (r *Raw) ExpectNone(d time.Duration) error {
	n := r.mustNet()
	err := n.RunUntil("silence", d, func() bool { return len(r.inbox) > 0 })
	if err == nil {
		got := r.Recv()
		return fmt.Errorf("expected no packet for %v, got #%d %s", d, got.Record.Index, formatPacket(got.Record, newSeqBases(true)))
	}
	if _, ok := err.(*ErrNotReached); ok {
		return nil
	}
	return err
}

func (r *Raw) mustNet() *Net {
	if r.net == nil {
		panic("harness: use RawOf(net, side) to get the raw peer")
	}
	return r.net
}
