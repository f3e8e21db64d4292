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
