package packet

import (
	"encoding/binary"
	"errors"
	"fmt"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// What Parse reports about a packet it cannot describe, or one whose
// checksum is wrong (then the Packet is filled in all the same).
var (
	ErrMalformed   = errors.New("not a readable IPv4/TCP or IPv6/TCP packet")
	ErrIPChecksum  = errors.New("bad IPv4 header checksum")
	ErrTCPChecksum = errors.New("bad TCP checksum")
	// ErrFragment is a fragment of an IPv6 datagram, not a whole one (it
	// is ErrMalformed too): a sender that fragments its own segments
	// sends these.
	ErrFragment = errors.New("an IPv6 fragment")
)

// Parse reads an IPv4 or IPv6 packet carrying a TCP segment with gVisor's
// header package, choosing by the version nibble. A packet it cannot read
// (truncated, neither version, not TCP, a fragment, an IPv6 extension
// header it cannot walk, a data offset or an option length past the end)
// fails with an error wrapping ErrMalformed. A bad checksum fails with
// ErrIPChecksum or ErrTCPChecksum, with the Packet filled in, so that a
// trace can print the corrupted packet. Payload aliases b.
func Parse(b []byte) (Packet, error) {
	switch v := header.IPVersion(b); v {
	case header.IPv4Version:
		return parseIPv4(b)
	case header.IPv6Version:
		return parseIPv6(b)
	default:
		return Packet{}, fmt.Errorf("%w: IP version %d in a %d-byte packet", ErrMalformed, v, len(b))
	}
}

func parseIPv4(b []byte) (Packet, error) {
	var p Packet
	ip := header.IPv4(b)
	if !ip.IsValid(len(b)) {
		return p, fmt.Errorf("%w: not a whole IPv4 header and payload (%d bytes)", ErrMalformed, len(b))
	}
	// IsValid has checked total length <= len(b); bytes past it are link
	// padding, not the datagram's (RFC 791 3.1).
	b = b[:ip.TotalLength()]
	ip = header.IPv4(b)
	// The IPv4 header is whole: a trace can name the packet's ends even
	// when it cannot read its TCP segment.
	p.IP = IP{
		TOS: tos(ip), ID: ip.ID(), DontFragment: ip.Flags()&header.IPv4FlagDontFragment != 0, TTL: ip.TTL(), Checksum: ip.Checksum(),
		Src: AddrOf(ip.SourceAddress()), Dst: AddrOf(ip.DestinationAddress()),
	}
	if ip.Protocol() != uint8(header.TCPProtocolNumber) {
		return p, fmt.Errorf("%w: IP protocol %d, not TCP", ErrMalformed, ip.Protocol())
	}
	if ip.FragmentOffset() != 0 || ip.Flags()&header.IPv4FlagMoreFragments != 0 {
		more := ""
		if ip.Flags()&header.IPv4FlagMoreFragments != 0 {
			more = ", more to come"
		}
		return p, fmt.Errorf("%w: an IPv4 fragment (id %d, offset %d%s)", ErrMalformed, ip.ID(), ip.FragmentOffset(), more)
	}
	err := parseTCP(&p.TCP, ip.Payload(), ip.SourceAddress(), ip.DestinationAddress())
	// A bad IP checksum is reported once the segment is read (a trace
	// prints it), and before a bad TCP checksum.
	if (err == nil || err == ErrTCPChecksum) && !ip.IsChecksumValid() {
		return p, ErrIPChecksum
	}
	return p, err
}

// parseTCP reads the TCP segment seg that went from src to dst into s. A
// bad checksum is reported last, as ErrTCPChecksum, with s filled in.
func parseTCP(s *Segment, seg []byte, src, dst tcpip.Address) error {
	t := header.TCP(seg)
	if len(t) < header.TCPMinimumSize {
		return fmt.Errorf("%w: TCP header truncated (%d bytes)", ErrMalformed, len(t))
	}
	off := int(t.DataOffset())
	if off < header.TCPMinimumSize || off > len(t) {
		return fmt.Errorf("%w: TCP data offset %d in a %d-byte segment", ErrMalformed, off, len(t))
	}
	*s = Segment{
		SrcPort: t.SourcePort(), DstPort: t.DestinationPort(),
		Seq: seqnum.Value(t.SequenceNumber()), Ack: seqnum.Value(t.AckNumber()),
		DataOffset: uint8(off / 4), Flags: Flags(t.Flags()), Window: t.WindowSize(),
		Checksum: t.Checksum(), Urgent: t.UrgentPointer(), Payload: t[off:],
	}
	if err := parseOptions(t[header.TCPMinimumSize:off], &s.Options); err != nil {
		return err
	}
	payload := s.Payload
	if !t.IsChecksumValid(src, dst, checksum.Checksum(payload, 0), uint16(len(payload))) {
		return ErrTCPChecksum
	}
	return nil
}

func tos(ip header.IPv4) uint8 {
	t, _ := ip.TOS()
	return t
}

// parseOptions walks the option list (RFC 9293 3.1: kind, length, data;
// End of Option List and No-Operation are one byte) and keeps the options
// Options names, with whether each was present. An unknown option is
// skipped by its length, as a receiver must (RFC 9293 3.1, MUST-68).
func parseOptions(b []byte, o *Options) error {
	for i := 0; i < len(b); {
		kind := b[i]
		switch kind {
		case header.TCPOptionEOL:
			return nil
		case header.TCPOptionNOP:
			i++
			continue
		}
		if i+1 >= len(b) || int(b[i+1]) < 2 || i+int(b[i+1]) > len(b) {
			return fmt.Errorf("%w: TCP option %d at byte %d runs past the header", ErrMalformed, kind, i)
		}
		data := b[i+2 : i+int(b[i+1])]
		switch {
		case kind == header.TCPOptionMSS && len(data) == 2:
			o.HasMSS, o.MSS = true, binary.BigEndian.Uint16(data)
		case kind == header.TCPOptionWS && len(data) == 1:
			o.HasWindowScale, o.WindowScale = true, data[0]
		case kind == header.TCPOptionSACKPermitted && len(data) == 0:
			o.SACKPermitted = true
		case kind == header.TCPOptionTS && len(data) == 8:
			o.HasTimestamps = true
			o.TSVal, o.TSEcr = binary.BigEndian.Uint32(data), binary.BigEndian.Uint32(data[4:])
		case kind == header.TCPOptionSACK && len(data)%8 == 0:
			o.NumSACKBlocks = min(len(data)/8, MaxSACKBlocks)
			for k := range o.NumSACKBlocks {
				o.SACKBlocks[k] = SACKBlock{
					Left:  seqnum.Value(binary.BigEndian.Uint32(data[8*k:])),
					Right: seqnum.Value(binary.BigEndian.Uint32(data[8*k+4:])),
				}
			}
		case kind <= header.TCPOptionSACK || kind == header.TCPOptionTS:
			return fmt.Errorf("%w: TCP option %d with length %d", ErrMalformed, kind, len(data)+2)
		}
		i += len(data) + 2
	}
	return nil
}
