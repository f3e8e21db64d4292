package wire

// Len is the number of bytes Encode writes for p.
func (p *Packet) Len() int {
	return p.ipHeaderLen() + TCPMinHeaderLen + p.TCP.Options.Len() + len(p.TCP.Payload)
}

// ipHeaderLen is the IPv4 header with its options padded to 4 bytes, capped
// at what IHL can express.
func (p *Packet) ipHeaderLen() int {
	return min(IPv4MinHeaderLen+(len(p.IP.Options)+3)&^3, IPv4MaxHeaderLen)
}

// Encode writes p into buf and returns the number of bytes written, p.Len().
// It never allocates. It computes the IHL, total length, TCP data offset and
// both checksums, writes protocol 6 when p.IP.Protocol is 0, and lays the
// options out as Options.Len describes; ill asks it to keep the given values
// instead, to build a packet that is wrong on purpose. IP options longer than
// 40 bytes are cut to 40; shorter ones not a multiple of 4 are padded with
// zeros (End of Option List, RFC 791). The TTL is written as given.
//
// The error is ErrShortBuffer when buf is shorter than p.Len(), or
// ErrPacketTooLong when p.Len() exceeds 65535.
func (p *Packet) Encode(buf []byte, ill Illegal) (int, error) {
	ipLen := p.ipHeaderLen()
	layout := p.TCP.Options.layout()
	tcpHdrLen := TCPMinHeaderLen + layout.size
	n := ipLen + tcpHdrLen + len(p.TCP.Payload)
	if n > 0xffff {
		return 0, ErrPacketTooLong
	}
	if len(buf) < n {
		return 0, ErrShortBuffer
	}
	buf = buf[:n]

	ip := IPv4(buf)
	ip.SetVersionIHL(ipLen)
	ip.SetTOS(p.IP.TOS)
	if ill.KeepTotalLength {
		ip.SetTotalLength(p.IP.TotalLength)
	} else {
		ip.SetTotalLength(uint16(n))
	}
	ip.SetID(p.IP.ID)
	ip.SetFlagsFragOffset(p.IP.Flags, p.IP.FragOffset)
	ip.SetTTL(p.IP.TTL)
	proto := p.IP.Protocol
	if proto == 0 {
		proto = ProtocolTCP
	}
	ip.SetProtocol(proto)
	ip.SetChecksum(0)
	ip.SetSrc(p.IP.Src)
	ip.SetDst(p.IP.Dst)
	clear(buf[IPv4MinHeaderLen+copy(buf[IPv4MinHeaderLen:ipLen], p.IP.Options) : ipLen])
	if ill.KeepIPChecksum {
		ip.SetChecksum(p.IP.Checksum)
	} else {
		ip.SetChecksum(IPv4HeaderChecksum(buf[:ipLen]))
	}

	seg := buf[ipLen:]
	p.TCP.encode(seg, layout, ill, Checksum(buf[ipv4Src:ipv4Dst+4], ChecksumCombine(ProtocolTCP, uint16(len(seg)))))
	return n, nil
}

// encode writes s into seg, which is exactly its length, with its options
// laid out as layout says; pseudo is the pseudo-header's sum, from which the
// checksum is computed unless ill says to keep s.Checksum.
func (s *Segment) encode(seg []byte, layout optionLayout, ill Illegal, pseudo uint16) {
	tcpHdrLen := TCPMinHeaderLen + layout.size
	t := TCP(seg)
	t.SetSrcPort(s.SrcPort)
	t.SetDstPort(s.DstPort)
	t.SetSeq(s.Seq)
	t.SetAck(s.Ack)
	if ill.KeepDataOffset {
		t.SetDataOffset(s.DataOffset)
	} else {
		t.SetDataOffset(uint8(tcpHdrLen / 4))
	}
	t.SetFlags(s.Flags)
	t.SetWindow(s.Window)
	t.SetChecksum(0)
	t.SetUrgent(s.Urgent)
	s.Options.encode(seg[TCPMinHeaderLen:], layout)
	copy(seg[tcpHdrLen:], s.Payload)
	if ill.KeepTCPChecksum {
		t.SetChecksum(s.Checksum)
	} else {
		t.SetChecksum(^Checksum(seg, pseudo))
	}
}
