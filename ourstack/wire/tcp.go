package wire

import (
	"encoding/binary"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

// TCP is a view over the bytes of a TCP segment (header, options, payload),
// in the style of gVisor's header.TCP. Accessors read the bytes in place.
//
// A TCP obtained from NewTCP has at least TCPMinHeaderLen bytes and a data
// offset that lies within them, so no accessor can panic. A TCP made by a
// plain conversion (TCP(b)) must be at least TCPMaxHeaderLen long or it may.
type TCP []byte

// NewTCP checks that b is long enough for every accessor of TCP and returns
// the view. It does not parse options or check the checksum: ParseTCP does.
func NewTCP(b []byte) (TCP, error) {
	if len(b) < TCPMinHeaderLen {
		return nil, &ParseError{Field: "TCP header", Offset: 0, Value: len(b), Err: ErrTruncated}
	}
	t := TCP(b)
	if hl := t.HeaderLen(); hl < TCPMinHeaderLen || hl > len(b) {
		return nil, &ParseError{Field: "TCP data offset", Offset: tcpDataOffset, Value: hl / 4, Err: ErrBadDataOffset}
	}
	return t, nil
}

// SrcPort is the source port.
func (t TCP) SrcPort() uint16 { return binary.BigEndian.Uint16(t[tcpSrcPort:]) }

// DstPort is the destination port.
func (t TCP) DstPort() uint16 { return binary.BigEndian.Uint16(t[tcpDstPort:]) }

// Seq is the sequence number.
func (t TCP) Seq() seqnum.Value { return seqnum.Value(binary.BigEndian.Uint32(t[tcpSeq:])) }

// Ack is the acknowledgment number (meaningful only when FlagACK is set).
func (t TCP) Ack() seqnum.Value { return seqnum.Value(binary.BigEndian.Uint32(t[tcpAck:])) }

// DataOffset is the data-offset field in 32-bit words.
func (t TCP) DataOffset() uint8 { return t[tcpDataOffset] >> 4 }

// HeaderLen is the header length in bytes (data offset times 4).
func (t TCP) HeaderLen() int { return int(t.DataOffset()) * 4 }

// Flags are the control bits.
func (t TCP) Flags() Flags { return Flags(t[tcpFlags]) }

// Window is the window field, unscaled.
func (t TCP) Window() uint16 { return binary.BigEndian.Uint16(t[tcpWindow:]) }

// Checksum is the checksum field as written.
func (t TCP) Checksum() uint16 { return binary.BigEndian.Uint16(t[tcpChecksum:]) }

// Urgent is the urgent pointer.
func (t TCP) Urgent() uint16 { return binary.BigEndian.Uint16(t[tcpUrgent:]) }

// Options are the raw option bytes between the fixed header and the data.
func (t TCP) Options() []byte { return t[TCPMinHeaderLen:t.HeaderLen()] }

// Payload is the data after the header.
func (t TCP) Payload() []byte { return t[t.HeaderLen():] }

// SetSrcPort writes the source port.
func (t TCP) SetSrcPort(v uint16) { binary.BigEndian.PutUint16(t[tcpSrcPort:], v) }

// SetDstPort writes the destination port.
func (t TCP) SetDstPort(v uint16) { binary.BigEndian.PutUint16(t[tcpDstPort:], v) }

// SetSeq writes the sequence number.
func (t TCP) SetSeq(v seqnum.Value) { binary.BigEndian.PutUint32(t[tcpSeq:], uint32(v)) }

// SetAck writes the acknowledgment number.
func (t TCP) SetAck(v seqnum.Value) { binary.BigEndian.PutUint32(t[tcpAck:], uint32(v)) }

// SetDataOffset writes the data offset in 32-bit words and clears the
// reserved bits (RFC 9293 section 3.1: "must be zero" when sent).
func (t TCP) SetDataOffset(words uint8) { t[tcpDataOffset] = words << 4 }

// SetFlags writes the control bits.
func (t TCP) SetFlags(f Flags) { t[tcpFlags] = uint8(f) }

// SetWindow writes the window field.
func (t TCP) SetWindow(v uint16) { binary.BigEndian.PutUint16(t[tcpWindow:], v) }

// SetChecksum writes the checksum field.
func (t TCP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(t[tcpChecksum:], v) }

// SetUrgent writes the urgent pointer.
func (t TCP) SetUrgent(v uint16) { binary.BigEndian.PutUint16(t[tcpUrgent:], v) }
