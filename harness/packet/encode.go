package packet

import (
	"errors"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	gseqnum "gvisor.dev/gvisor/pkg/tcpip/seqnum"

	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// ErrTooLong: the packet would be longer than IPv4's 65535 bytes.
var ErrTooLong = errors.New("packet longer than 65535 bytes")

// Len is how many bytes Encode writes for p.
func Len(p Packet) int {
	return header.IPv4MinimumSize + header.TCPMinimumSize + len(p.TCP.Options.encode()) + len(p.TCP.Payload)
}

// Encode returns p as bytes, with gVisor's header encoders: IPv4 without
// options, TTL as given (64 if zero), the TCP data offset and both
// checksums computed unless ill asks to keep the given ones. Options are
// laid out as Linux lays them out: MSS, SACK-permitted with timestamps,
// window scale, SACK blocks, NOP-padded to 32 bits.
func (p Packet) Encode(ill Illegal) []byte {
	opts := p.TCP.Options.encode()
	tcpLen := header.TCPMinimumSize + len(opts)
	n := header.IPv4MinimumSize + tcpLen + len(p.TCP.Payload)
	b := make([]byte, n)
	ttl := p.IP.TTL
	if ttl == 0 {
		ttl = 64
	}
	src, dst := tcpip.AddrFrom4(p.IP.Src.As4()), tcpip.AddrFrom4(p.IP.Dst.As4())
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
	t := header.TCP(b[header.IPv4MinimumSize:])
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
