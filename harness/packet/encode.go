package packet

import (
	"errors"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	gseqnum "gvisor.dev/gvisor/pkg/tcpip/seqnum"

	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// ErrTooLong: the packet would be longer than its IP length field can
// describe (MaxLen).
var ErrTooLong = errors.New("packet longer than its IP length field can describe")

// Len is how many bytes Encode writes for p.
func Len(p Packet) int {
	return ipHeaderLen(&p.IP) + header.TCPMinimumSize + len(p.TCP.Options.encode()) + len(p.TCP.Payload)
}

// MaxLen is the longest packet of ip's family: 65535 bytes for IPv4, whose
// total length counts the header; 65535 after the 40-byte fixed header for
// IPv6, whose payload length does not (jumbograms, RFC 2675, aside).
func MaxLen(ip IP) int {
	if ip.IsIPv6() {
		return header.IPv6MinimumSize + 0xffff
	}
	return 0xffff
}

func ipHeaderLen(ip *IP) int {
	if ip.IsIPv6() {
		return header.IPv6MinimumSize
	}
	return header.IPv4MinimumSize
}

// Encode returns p as bytes, with gVisor's header encoders: IPv6 when
// p.IP.Src is an IPv6 address, with no extension headers, IPv4 without
// options otherwise; TTL (the hop limit) as given, 64 if zero; the TCP data
// offset and the checksums computed unless ill asks to keep the given ones.
// Options are laid out as Linux lays them out: MSS, SACK-permitted with
// timestamps, window scale, SACK blocks, NOP-padded to 32 bits.
func (p Packet) Encode(ill Illegal) []byte {
	opts := p.TCP.Options.encode()
	tcpLen := header.TCPMinimumSize + len(opts)
	hl := ipHeaderLen(&p.IP)
	n := hl + tcpLen + len(p.TCP.Payload)
	b := make([]byte, n)
	ttl := p.IP.TTL
	if ttl == 0 {
		ttl = 64
	}
	var src, dst tcpip.Address
	if p.IP.IsIPv6() {
		src, dst = addr16(p.IP.Src), addr16(p.IP.Dst)
		header.IPv6(b).Encode(&header.IPv6Fields{
			TrafficClass: p.IP.TOS, FlowLabel: p.IP.FlowLabel, PayloadLength: uint16(n - hl),
			TransportProtocol: header.TCPProtocolNumber, HopLimit: ttl, SrcAddr: src, DstAddr: dst,
		})
	} else {
		src, dst = addr4(p.IP.Src), addr4(p.IP.Dst)
		ip := header.IPv4(b)
		ip.Encode(&header.IPv4Fields{
			TOS: p.IP.TOS, TotalLength: uint16(n), ID: p.IP.ID, Flags: dontFragment(p.IP.DontFragment), TTL: ttl,
			Protocol: uint8(header.TCPProtocolNumber), SrcAddr: src, DstAddr: dst,
		})
		if ill.KeepIPChecksum {
			ip.SetChecksum(p.IP.Checksum)
		} else {
			ip.SetChecksum(^ip.CalculateChecksum())
		}
	}
	t := header.TCP(b[hl:])
	t.Encode(&header.TCPFields{
		SrcPort: p.TCP.SrcPort, DstPort: p.TCP.DstPort,
		SeqNum: uint32(p.TCP.Seq), AckNum: uint32(p.TCP.Ack),
		DataOffset: uint8(tcpLen), Flags: header.TCPFlags(p.TCP.Flags),
		WindowSize: p.TCP.Window, UrgentPointer: p.TCP.Urgent,
	})
	copy(t[header.TCPMinimumSize:], opts)
	copy(t[tcpLen:], p.TCP.Payload)
	if ill.KeepTCPChecksum {
		t.SetChecksum(p.TCP.Checksum)
	} else {
		xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(len(t)))
		xsum = checksum.Checksum(p.TCP.Payload, xsum)
		t.SetChecksum(^t.CalculateChecksum(xsum))
	}
	return b
}

// addr4 is a as an IPv4 address for the header, 0.0.0.0 if it is none.
func addr4(a netip.Addr) tcpip.Address {
	if a = a.Unmap(); a.Is4() {
		return tcpip.AddrFrom4(a.As4())
	}
	return tcpip.AddrFrom4([4]byte{})
}

// addr16 is a as an IPv6 address for the header (an IPv4 one mapped,
// RFC 4291 2.5.5.2), :: if it is none.
func addr16(a netip.Addr) tcpip.Address {
	if !a.IsValid() {
		return tcpip.AddrFrom16([16]byte{})
	}
	return tcpip.AddrFrom16(a.As16())
}

// encode lays the options out, each group a multiple of 4 bytes.
func (o *Options) encode() []byte {
	var b []byte
	put := func(size int, enc func(b []byte) int) {
		buf := make([]byte, size)
		b = append(b, buf[:enc(buf)]...)
	}
	nops := func(k int) {
		for range k {
			b = append(b, header.TCPOptionNOP)
		}
	}
	if o.HasMSS {
		put(header.TCPOptionMSSLength, func(buf []byte) int { return header.EncodeMSSOption(uint32(o.MSS), buf) })
	}
	switch {
	case o.SACKPermitted && o.HasTimestamps:
		put(header.TCPOptionSackPermittedLength, header.EncodeSACKPermittedOption)
		put(header.TCPOptionTSLength, func(buf []byte) int { return header.EncodeTSOption(o.TSVal, o.TSEcr, buf) })
	case o.SACKPermitted:
		nops(2)
		put(header.TCPOptionSackPermittedLength, header.EncodeSACKPermittedOption)
	case o.HasTimestamps:
		nops(2)
		put(header.TCPOptionTSLength, func(buf []byte) int { return header.EncodeTSOption(o.TSVal, o.TSEcr, buf) })
	}
	if o.HasWindowScale {
		nops(1)
		put(header.TCPOptionWSLength, func(buf []byte) int { return header.EncodeWSOption(int(o.WindowScale), buf) })
	}
	if n := min(max(o.NumSACKBlocks, 0), MaxSACKBlocks); n > 0 {
		blocks := make([]header.SACKBlock, n)
		for i, blk := range o.SACKBlocks[:n] {
			blocks[i] = header.SACKBlock{Start: seqnumOf(blk.Left), End: seqnumOf(blk.Right)}
		}
		nops(2)
		put(2+8*n, func(buf []byte) int { return header.EncodeSACKBlocks(blocks, buf) })
	}
	return b
}

func seqnumOf(v seqnum.Value) gseqnum.Value { return gseqnum.Value(v) }

func dontFragment(df bool) uint8 {
	if df {
		return header.IPv4FlagDontFragment
	}
	return 0
}
