package ourstack

import (
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// defaultTTL is the IPv4 TTL and IPv6 hop limit of every packet we send
// (RFC 1700's recommended default, the one Linux uses).
const defaultTTL = 64

// packetWriter turns the TCB's segments into IP packets and hands them to
// Options.Send. One packet and one buffer serve the whole stack (the lock
// serializes their use), so sending allocates nothing per segment.
type packetWriter struct {
	s    *Stack
	pkt  wire.Packet
	pkt6 wire.Packet6
	buf  []byte
	emit func(seg *wire.Segment) // bound once, so Poll's callback is not a fresh closure per call
	dst  netip.Addr              // where the segments now being emitted go
	ipID uint16
}

func (w *packetWriter) init(s *Stack) {
	w.s = s
	w.emit = w.writeSegment
}

// poll sends every segment c's TCB has queued.
func (w *packetWriter) poll(c *Conn, now time.Time) {
	w.dst = c.id.RemoteAddr
	c.tcb.Poll(now, w.emit)
}

// writeTo sends one segment the Stack built itself (an RST for no
// connection, a SYN-cookie SYN-ACK).
func (w *packetWriter) writeTo(dst netip.Addr, seg *wire.Segment) {
	w.dst = dst
	w.writeSegment(seg)
}

func (w *packetWriter) writeSegment(seg *wire.Segment) {
	s := w.s
	var n int
	var err error
	if s.addr.Is6() {
		n, err = w.encode6(seg)
	} else {
		n, err = w.encode4(seg)
	}
	if err != nil {
		s.stats.EncodeErrors++
		return
	}
	s.stats.PacketsSent++
	if seg.Flags.Has(wire.FlagRST) {
		s.stats.ResetsSent++
	}
	s.send(w.buf[:n])
}

// encode4 writes seg into w.buf as an IPv4 packet with Don't Fragment set:
// ourstack finds the path MTU (RFC 1191) rather than have routers
// fragment its segments.
func (w *packetWriter) encode4(seg *wire.Segment) (int, error) {
	// With DF set the IPv4 ID need not be unique (RFC 6864 section 4.1); a
	// counter still makes captures easier to read.
	w.ipID++
	w.pkt.IP = wire.IPv4Fields{
		ID:       w.ipID,
		Flags:    wire.IPv4DontFragment,
		TTL:      defaultTTL,
		Protocol: wire.ProtocolTCP,
		Src:      w.s.addr,
		Dst:      w.dst,
	}
	w.pkt.TCP = *seg
	w.grow(w.pkt.Len())
	n, err := w.pkt.Encode(w.buf, wire.Illegal{})
	w.pkt.TCP.Payload = nil // do not pin the TCB's send buffer
	return n, err
}

// encode6 writes seg into w.buf as an IPv6 packet, with the hop limit
// IPv4's TTL has.
func (w *packetWriter) encode6(seg *wire.Segment) (int, error) {
	w.pkt6.IP = wire.IPv6Fields{HopLimit: defaultTTL, Src: w.s.addr, Dst: w.dst}
	w.pkt6.TCP = *seg
	w.grow(w.pkt6.Len())
	n, err := w.pkt6.Encode(w.buf, wire.Illegal{})
	w.pkt6.TCP.Payload = nil
	return n, err
}

// grow makes w.buf at least n bytes long, doubling it: the buffer follows
// the largest packet sent rather than being the largest packet possible up
// front (64 KiB, zeroed, for every stack a short run builds).
func (w *packetWriter) grow(n int) {
	if n > len(w.buf) {
		w.buf = make([]byte, max(n, 2*len(w.buf)))
	}
}
