// Package packet is the judge's codec: it reads and writes the IPv4+TCP and
// IPv6+TCP packets that cross a Net's wire, for the trace, the capture, the fault
// rules, the raw peer and every conformance check. It stands on gVisor's
// header package (gvisor.dev/gvisor/pkg/tcpip/header), not on ourstack's
// wire package, so that a bug in the stack under test's codec cannot change
// how its packets, or any other stack's, are described and judged.
//
// The plain structs have the shape the checks read (Packet.TCP.Flags,
// Packet.TCP.Options.HasMSS, ...); Parse fills them, Encode writes them.
package packet

import (
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// Flags are the TCP control bits (RFC 9293 3.1, RFC 3168 for ECE and CWR).
type Flags uint8

// The control bits, in their on-the-wire positions.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Has reports whether every bit of want is set in f.
func (f Flags) Has(want Flags) bool { return f&want == want }

// MaxSACKBlocks is how many SACK blocks fit in the 40 bytes of option
// space (RFC 2018 3).
const MaxSACKBlocks = 4

// SACKBlock is one block of a SACK option: [Left, Right).
type SACKBlock struct {
	Left, Right seqnum.Value
}

// Options are the TCP options the checks read, each with whether it was
// present: a check must tell an MSS option of 536 from none at all.
type Options struct {
	HasMSS bool
	MSS    uint16

	HasWindowScale bool
	WindowScale    uint8 // shift count, RFC 7323 2.3

	SACKPermitted bool

	NumSACKBlocks int // 0..MaxSACKBlocks
	SACKBlocks    [MaxSACKBlocks]SACKBlock

	HasTimestamps bool
	TSVal, TSEcr  uint32
}

// Segment is a TCP segment's header fields, options and payload.
type Segment struct {
	SrcPort, DstPort uint16
	Seq, Ack         seqnum.Value
	DataOffset       uint8 // in 32-bit words; 0 when building means "compute it"
	Flags            Flags
	Window           uint16 // as on the wire, unscaled
	Checksum         uint16 // as parsed; written only if Illegal says so
	Urgent           uint16
	Options          Options
	Payload          []byte
}

// IP are the IP header fields the testbed reads or sets, of either family
// (RFC 791 for IPv4, RFC 8200 for IPv6). The family is the address family
// of Src and Dst: Encode writes IPv6 when Src is an IPv6 address, IPv4
// otherwise; Parse fills them from the header it read.
type IP struct {
	TOS uint8 // the IPv4 type of service, or the IPv6 traffic class
	TTL uint8 // the IPv4 time to live, or the IPv6 hop limit
	// ID and DontFragment are IPv4's only (IPv6 has no identification in
	// its fixed header, and its routers never fragment); both are 0 for IPv6.
	ID           uint16
	DontFragment bool
	FlowLabel    uint32 // IPv6's only (RFC 6437), 20 bits; 0 for IPv4
	// Checksum is the IPv4 header checksum, as parsed, and written only if
	// Illegal says so; IPv6 has no header checksum: 0.
	Checksum uint16
	Src, Dst netip.Addr
}

// IsIPv6 reports whether the packet is IPv6, by its source address.
func (ip *IP) IsIPv6() bool { return ip.Src.Is6() }

// Packet is one IP packet carrying one TCP segment.
type Packet struct {
	IP  IP
	TCP Segment
}

// Illegal asks Encode for a packet that is wrong on purpose, as a
// conformance testbed must be able to send. The zero value is a correct
// packet.
type Illegal struct {
	// KeepTCPChecksum writes Segment.Checksum as given.
	KeepTCPChecksum bool
	// KeepIPChecksum writes IP.Checksum as given (IPv4; IPv6 has none).
	KeepIPChecksum bool
}

// Len is the sequence space the segment occupies (RFC 9293 3.4, SEG.LEN):
// its data, plus one for SYN and one for FIN.
func (s *Segment) Len() seqnum.Size {
	n := seqnum.Size(len(s.Payload))
	if s.Flags.Has(SYN) {
		n++
	}
	if s.Flags.Has(FIN) {
		n++
	}
	return n
}
