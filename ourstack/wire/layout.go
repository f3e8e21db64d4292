package wire

// Field offsets and sizes of the IPv4 header (RFC 791 section 3.1) and the
// TCP header (RFC 9293 section 3.1), all in one place so that the views, the
// parser and the builder cannot disagree about where a field lives.
const (
	ipv4VersionIHL   = 0 // version (high nibble), IHL in 32-bit words (low nibble)
	ipv4TOS          = 1
	ipv4TotalLength  = 2
	ipv4ID           = 4
	ipv4FlagsFragOff = 6 // flags (top 3 bits), fragment offset in 8-byte units (13 bits)
	ipv4TTL          = 8
	ipv4Protocol     = 9
	ipv4Checksum     = 10
	ipv4Src          = 12
	ipv4Dst          = 16

	// IPv4MinHeaderLen is the IPv4 header without options (IHL 5).
	IPv4MinHeaderLen = 20
	// IPv4MaxHeaderLen is the largest IPv4 header IHL can express (IHL 15).
	IPv4MaxHeaderLen = 60
	// IPv4Version is the version field's value for IPv4.
	IPv4Version = 4
	// ProtocolTCP is the IPv4 protocol number of TCP.
	ProtocolTCP = 6
)

const (
	tcpSrcPort    = 0
	tcpDstPort    = 2
	tcpSeq        = 4
	tcpAck        = 8
	tcpDataOffset = 12 // data offset in 32-bit words (high nibble), reserved bits (low nibble)
	tcpFlags      = 13
	tcpWindow     = 14
	tcpChecksum   = 16
	tcpUrgent     = 18

	// TCPMinHeaderLen is the TCP header without options (data offset 5).
	TCPMinHeaderLen = 20
	// TCPMaxHeaderLen is the largest TCP header data offset can express (15).
	TCPMaxHeaderLen = 60
	// TCPMaxOptionsLen is the option space of a TCP header.
	TCPMaxOptionsLen = TCPMaxHeaderLen - TCPMinHeaderLen
)

// TCP option kinds and lengths (RFC 9293 section 3.2, RFC 7323, RFC 2018).
const (
	OptionKindEOL           = 0
	OptionKindNOP           = 1
	OptionKindMSS           = 2
	OptionKindWindowScale   = 3
	OptionKindSACKPermitted = 4
	OptionKindSACK          = 5
	OptionKindTimestamps    = 8

	OptionLenMSS           = 4
	OptionLenWindowScale   = 3
	OptionLenSACKPermitted = 2
	OptionLenTimestamps    = 10
	// A SACK option is 2 bytes of kind and length plus 8 per block (RFC 2018 section 3).
	optionLenSACKBase  = 2
	optionLenSACKBlock = 8
)

// Field offsets of the IPv6 fixed header (RFC 8200 section 3).
const (
	ipv6VersionClassFlow = 0 // version (4 bits), traffic class (8 bits), flow label (20 bits)
	ipv6PayloadLength    = 4
	ipv6NextHeader       = 6
	ipv6HopLimit         = 7
	ipv6Src              = 8
	ipv6Dst              = 24

	// IPv6HeaderLen is the IPv6 fixed header; extension headers follow it.
	IPv6HeaderLen = 40
	// IPv6Version is the version field's value for IPv6.
	IPv6Version = 6
)

// IPv6 Next Header values (IANA protocol numbers) ParseIPv6 acts on: the
// extension headers it walks (RFC 8200 sections 4.3 to 4.6), No Next Header
// (4.7), and the upper layers a host with TCP, UDP and ICMPv6 recognizes.
const (
	nextHeaderHopByHop = 0
	nextHeaderUDP      = 17
	nextHeaderRouting  = 43
	nextHeaderFragment = 44
	nextHeaderICMPv6   = 58
	nextHeaderNone     = 59
	nextHeaderDestOpts = 60
)

// Extension header layout (RFC 8200 section 4): every header starts with
// Next Header and, but for the Fragment header, a length in 8-octet units
// not counting the first 8.
const (
	extNextHeader   = 0
	extLength       = 1
	extUnit         = 8
	extFragmentLen  = 8 // the Fragment header is fixed (RFC 8200 section 4.5)
	routingType     = 2 // within a Routing header (RFC 8200 section 4.4)
	routingSegsLeft = 3
	fragmentOffM    = 2 // fragment offset (13 bits), reserved (2), M (1), within a Fragment header

	// Options in Hop-by-Hop and Destination Options headers (RFC 8200
	// section 4.2): type, length of the data, data; Pad1 is the type alone.
	optionPad1 = 0
	optionPadN = 1
	// optionJumbo is the Jumbo Payload option (RFC 2675 section 2).
	optionJumbo = 0xc2
)
