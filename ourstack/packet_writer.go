package ourstack

import (
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// defaultTTL is the IPv4 TTL of every packet we send (RFC 1700's
// recommended default, the one Linux uses).
const defaultTTL = 64

// packetWriter turns the TCB's segments into IPv4 packets and hands them to
// Options.Send. One packet and one buffer serve the whole stack (the lock
// serializes their use), so sending allocates nothing per segment.
type packetWriter struct {
	s    *Stack
	pkt  wire.Packet
	buf  []byte
	emit func(seg *wire.Segment) // bound once, so Poll's callback is not a fresh closure per call
	dst  netip.Addr              // where the segments now being emitted go
	ipID uint16
}

func (w *packetWriter) init(s *Stack) {
	w.s = s
	w.buf = make([]byte, 64<<10)
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
	// With DF set the IPv4 ID need not be unique (RFC 6864 section 4.1); a
	// counter still makes captures easier to read.
	w.ipID++
	w.pkt.IP = wire.IPv4Fields{
		ID:       w.ipID,
		Flags:    wire.IPv4DontFragment,
		TTL:      defaultTTL,
		Protocol: 6,
		Src:      s.addr,
		Dst:      w.dst,
	}
	w.pkt.TCP = *seg
	if n := w.pkt.Len(); n > len(w.buf) {
		w.buf = make([]byte, n)
	}
	n, err := w.pkt.Encode(w.buf, wire.Illegal{})
	w.pkt.TCP.Payload = nil // do not pin the TCB's send buffer
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
