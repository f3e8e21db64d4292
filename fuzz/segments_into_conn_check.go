package fuzz

import (
	"bytes"
	"errors"
	"io"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// The segment target's invariants (segments_into_conn_test.go), checked from
// outside ourstack: on the segments it sends (checkSent) and on what its
// application reads (readAll). Inside, ourstack/tcp's FuzzConnection checks
// the TCB's variables; here they show on the wire:
//
//   - SND.UNA =< SND.NXT =< what the application gave: every byte ourstack
//     sends is one its application wrote, at its place in the stream, and a
//     FIN comes only after CloseWrite, right after the last byte written;
//   - RCV.NXT only moves forward and never past what the peer sent, nor
//     past the right edge ourstack itself advertised (RFC 9293 3.8.6: no
//     delivery outside the window);
//   - what the application reads is the peer's stream, in order, each byte
//     once; EOF only where the peer put a FIN, nothing after it.

// rawByte is the byte the raw peer sends at offset off of its stream: its
// pattern, wrapping every 64 KiB. Before the stream (off < 0, sequence
// space at or before the raw ISS) it sends junk that must never be read.
func rawByte(side harness.Side, off int) byte {
	if off < 0 {
		return 0xEE
	}
	return interopPatterns[side][off%interopMaxWrite]
}

// checkSent checks one segment ourstack sent and notes what it says.
func (c *segConn) checkSent(seg *packet.Segment) {
	f := seg.Flags
	if f.Has(packet.SYN) {
		if !c.sawSYN {
			c.sawSYN = true
			c.oursISS, c.oursMax = seg.Seq, seg.Seq+1
			if seg.Options.HasWindowScale {
				c.oursShift = seg.Options.WindowScale
			}
		} else if seg.Seq != c.oursISS {
			if c.conn == nil && c.listener != nil && c.incarnationEnded() && f.Has(packet.ACK) {
				c.newIncarnation(seg)
			} else {
				c.violate("SYN with ISS %d; the first said %d", seg.Seq, c.oursISS)
			}
		}
	}
	if !c.sawSYN {
		if !f.Has(packet.RST) {
			c.violate("ourstack sent %v before any SYN", f)
		}
		return
	}
	if f.Has(packet.RST) {
		return // what an RST's numbers may be, segment_arrives' table tests cover
	}

	// Sending: within what the application gave.
	first := c.oursISS + 1
	if n := len(seg.Payload); n > 0 {
		off := int(int32(seg.Seq - first))
		switch {
		case off < 0 || off+n > c.oursWritten:
			c.violate("ourstack sent bytes [%d, %d) of its stream; its application wrote %d", off, off+n, c.oursWritten)
		case !bytes.Equal(seg.Payload, interopPatterns[c.oursSide][off:off+n]):
			c.violate("ourstack sent bytes [%d, %d) that are not what its application wrote there", off, off+n)
		}
	}
	if f.Has(packet.FIN) {
		fin := seg.Seq.Add(seqnum.Size(len(seg.Payload)))
		if !c.oursFIN {
			c.violate("ourstack sent a FIN its application never asked for")
		} else if want := first.Add(seqnum.Size(c.oursWritten)); fin != want {
			c.violate("ourstack's FIN at %d; the %d bytes written end at %d", fin-first, c.oursWritten, want-first)
		}
	}
	if end := seg.Seq.Add(seg.Len()); c.oursMax.LessThan(end) {
		c.oursMax = end
	}

	// Receiving: RCV.NXT as the ACK field tells it.
	if !f.Has(packet.ACK) {
		return
	}
	switch {
	case c.rawMax.LessThan(seg.Ack):
		c.violate("ourstack ACKs %d, past the %d the raw peer ever sent", seg.Ack-c.rawISS, c.rawMax-c.rawISS)
	case c.oursAcked && seg.Ack.LessThan(c.oursAck):
		c.violate("ourstack's ACK went back from %d to %d", c.oursAck-c.rawISS, seg.Ack-c.rawISS)
	case c.rightEdgeSet && c.oursRightEdge.LessThan(seg.Ack):
		c.violate("ourstack ACKs %d, past the right edge %d it advertised", seg.Ack-c.rawISS, c.oursRightEdge-c.rawISS)
	}
	c.oursAck, c.oursAcked = seg.Ack, true
	wnd := uint32(seg.Window)
	if !f.Has(packet.SYN) {
		wnd <<= c.oursShift // RFC 7323 2.2: a SYN's window is never scaled
	}
	c.oursWnd = wnd
	if edge := seg.Ack.Add(seqnum.Size(wnd)); !c.rightEdgeSet || c.oursRightEdge.LessThan(edge) {
		c.oursRightEdge, c.rightEdgeSet = edge, true
	}
}

// incarnationEnded reports whether ourstack's connection has been CLOSED
// at some point: a SYN-RECEIVED connection that took an RST or a SYN goes
// back to LISTEN (RFC 9293 3.10.7.4), and the next SYN starts another.
func (c *segConn) incarnationEnded() bool {
	for _, ch := range c.net.Trace().Changes {
		if ch.Side == c.oursSide && ch.ID.RemotePort != 0 && ch.To == harness.Closed {
			return true
		}
	}
	return false
}

// newIncarnation starts over with the connection the listener built from
// the raw peer's latest SYN, whose SYN-ACK synAck is: the raw peer's stream
// is now numbered from the SYN ourstack acknowledged.
func (c *segConn) newIncarnation(synAck *packet.Segment) {
	c.oursISS, c.oursMax = synAck.Seq, synAck.Seq+1
	c.oursAcked, c.rightEdgeSet = false, false
	c.rawISS = synAck.Ack - 1
	if c.rawMax.LessThan(synAck.Ack) {
		c.rawMax = synAck.Ack
	}
	c.rawAckSent = false
	clear(c.rawFINs)
}

// readAll reads what ourstack's application can and checks it.
func (c *segConn) readAll() {
	if c.conn == nil {
		return
	}
	rawSide := c.oursSide.Other()
	for {
		k, err := c.conn.Read(c.readBuf)
		for i := range k {
			if want := rawByte(rawSide, c.readN+i); c.readBuf[i] != want {
				c.violate("read byte %d of the raw peer's stream wrong (%#x, want %#x)", c.readN+i, c.readBuf[i], want)
				break
			}
		}
		if k > 0 && c.readEnd != nil {
			c.violate("read %d bytes after Read returned %v", k, c.readEnd)
		}
		if sent := int(int32(c.rawMax - c.rawISS - 1)); k > 0 && c.readN+k > sent {
			c.violate("read %d bytes; the raw peer sent %d", c.readN+k, sent)
		}
		c.readN += k
		if err != nil {
			if errors.Is(err, harness.ErrWouldBlock) {
				return
			}
			if c.readEnd == nil {
				c.readEnd = err
				if err == io.EOF && !c.rawFINs[c.readN] {
					c.violate("Read returned EOF after %d bytes, where the raw peer put no FIN", c.readN)
				}
			}
			return
		}
		if k == 0 {
			return
		}
	}
}
