// Package wire parses and builds IPv4+TCP and IPv6+TCP packets: every header
// field, the TCP options, the IPv6 extension header chain, and the checksums. Parsing is a view over the packet's bytes;
// building writes into a caller's buffer without allocating.
//
// This file is the contract the rest of ourstack, the harness and the fuzz
// targets code against: the plain structs that describe a packet.
package wire

import (
	"net/netip"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

// Flags are the TCP control bits (RFC 9293 section 3.1, RFC 3168 for ECE/CWR).
type Flags uint8

// The control bits, in their on-the-wire bit positions.
const (
	FlagFIN Flags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

// Has reports whether every bit of want is set in f.
func (f Flags) Has(want Flags) bool { return f&want == want }

// MaxSACKBlocks is how many SACK blocks fit in the 40 bytes of TCP option
// space (RFC 2018 section 3: 4 without timestamps, 3 with).
const MaxSACKBlocks = 4

// SACKBlock is one block of a SACK option: [Left, Right).
type SACKBlock struct {
	Left, Right seqnum.Value
}

// Options are the TCP options tcpbed understands. A zero Options sends none.
// Fixed-size fields keep Segment free of heap allocations.
type Options struct {
	HasMSS bool
	MSS    uint16

	HasWindowScale bool
	WindowScale    uint8 // shift count, RFC 7323 section 2.3

	SACKPermitted bool

	NumSACKBlocks int // 0..MaxSACKBlocks
	SACKBlocks    [MaxSACKBlocks]SACKBlock

	HasTimestamps bool
	TSVal, TSEcr  uint32
}

// Segment is a TCP segment as a plain value: the header fields, options and
// payload. Payload aliases the parsed packet's bytes.
type Segment struct {
	SrcPort, DstPort uint16
	Seq, Ack         seqnum.Value
	DataOffset       uint8 // in 32-bit words; 0 when building means "compute it"
	Flags            Flags
	Window           uint16 // as on the wire, unscaled
	Checksum         uint16 // as parsed; ignored when building unless Illegal says so
	Urgent           uint16
	Options          Options
	Payload          []byte
}

// Len is the sequence space the segment occupies: payload plus one for SYN
// and one for FIN (RFC 9293 section 3.4, SEG.LEN).
func (s *Segment) Len() seqnum.Size {
	n := seqnum.Size(len(s.Payload))
	if s.Flags.Has(FlagSYN) {
		n++
	}
	if s.Flags.Has(FlagFIN) {
		n++
	}
	return n
}

// IPv4 header flag bits (RFC 791), in the top three bits of the flags/fragment word.
const (
	IPv4DontFragment  uint8 = 0x2
	IPv4MoreFragments uint8 = 0x1
)

// IPv4Fields are the IPv4 header fields (RFC 791). IP options are kept as raw bytes.
type IPv4Fields struct {
	TOS         uint8
	TotalLength uint16 // as parsed; 0 when building means "compute it"
	ID          uint16
	Flags       uint8  // IPv4DontFragment, IPv4MoreFragments
	FragOffset  uint16 // in 8-byte units
	TTL         uint8
	Protocol    uint8  // 6 for TCP; 0 when building means 6
	Checksum    uint16 // as parsed
	Src, Dst    netip.Addr
	Options     []byte // raw IP options, a multiple of 4 bytes
}

// Packet is one IPv4 packet carrying one TCP segment.
type Packet struct {
	IP  IPv4Fields
	TCP Segment
}

// IPv6Fields are the IPv6 fixed header's fields (RFC 8200 section 3) and
// the extension headers between it and the TCP header, kept as raw bytes.
type IPv6Fields struct {
	TrafficClass  uint8
	FlowLabel     uint32 // 20 bits
	PayloadLength uint16 // as parsed; ignored when building unless Illegal.KeepTotalLength says so
	// NextHeader is the fixed header's Next Header field, as parsed. When
	// building it is written as given, but 0 with no ExtHeaders means 6
	// (TCP), as IPv4Fields.Protocol does; with ExtHeaders it names the
	// first of them (0 is then a Hop-by-Hop Options header).
	NextHeader uint8
	HopLimit   uint8
	Src, Dst   netip.Addr
	// ExtHeaders are the extension headers between the fixed header and
	// TCP, raw: as parsed they alias the packet's bytes; when building they
	// are written as given, and the caller's chain must end in Next Header
	// 6.
	ExtHeaders []byte
}

// Packet6 is one IPv6 packet carrying one TCP segment.
type Packet6 struct {
	IP  IPv6Fields
	TCP Segment
}

// Illegal asks the builder to write a packet that is wrong on purpose, as a
// conformance testbed must be able to send (x/net/http2's AllowIllegalWrites
// is the model). The zero value builds a correct packet.
type Illegal struct {
	// KeepTCPChecksum writes Segment.Checksum as given instead of computing it.
	KeepTCPChecksum bool
	// KeepIPChecksum writes IPv4Fields.Checksum as given instead of computing it.
	KeepIPChecksum bool
	// KeepDataOffset writes Segment.DataOffset as given even if it does not
	// match the options written (it may point past the end of the packet).
	KeepDataOffset bool
	// KeepTotalLength writes IPv4Fields.TotalLength, or
	// IPv6Fields.PayloadLength, as given.
	KeepTotalLength bool
}
