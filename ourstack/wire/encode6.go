package wire

// Len is the number of bytes Encode writes for p.
func (p *Packet6) Len() int {
	return IPv6HeaderLen + len(p.IP.ExtHeaders) + TCPMinHeaderLen + p.TCP.Options.Len() + len(p.TCP.Payload)
}

// Encode writes p into buf and returns the number of bytes written, p.Len().
// It never allocates. It computes the payload length, the TCP data offset
// and the TCP checksum over the IPv6 pseudo-header (RFC 8200 section 8.1),
// writes the extension headers as given, Next Header 6 when p.IP.NextHeader
// is 0 and there are none, and lays the options out as Options.Len
// describes; ill asks it to keep the given values instead (KeepTotalLength
// keeps PayloadLength; KeepIPChecksum has nothing to keep: IPv6 has no
// header checksum). The hop limit is written as given.
//
// The error is ErrShortBuffer when buf is shorter than p.Len(), or
// ErrPacketTooLong when the payload exceeds the 65535 bytes its length field
// can express (jumbograms, RFC 2675, are not built).
func (p *Packet6) Encode(buf []byte, ill Illegal) (int, error) {
	layout := p.TCP.Options.layout()
	tcpLen := TCPMinHeaderLen + layout.size + len(p.TCP.Payload)
	payloadLen := len(p.IP.ExtHeaders) + tcpLen
	if payloadLen > 0xffff {
		return 0, ErrPacketTooLong
	}
	n := IPv6HeaderLen + payloadLen
	if len(buf) < n {
		return 0, ErrShortBuffer
	}
	buf = buf[:n]

	ip := IPv6(buf)
	ip.SetVersionClassFlow(p.IP.TrafficClass, p.IP.FlowLabel)
	if ill.KeepTotalLength {
		ip.SetPayloadLength(p.IP.PayloadLength)
	} else {
		ip.SetPayloadLength(uint16(payloadLen))
	}
	next := p.IP.NextHeader
	if next == 0 && len(p.IP.ExtHeaders) == 0 {
		next = ProtocolTCP
	}
	ip.SetNextHeader(next)
	ip.SetHopLimit(p.IP.HopLimit)
	ip.SetSrc(p.IP.Src)
	ip.SetDst(p.IP.Dst)
	copy(buf[IPv6HeaderLen:], p.IP.ExtHeaders)

	seg := buf[n-tcpLen:]
	p.TCP.encode(seg, layout, ill, Checksum(buf[ipv6Src:ipv6Dst+16], ChecksumCombine(ProtocolTCP, uint16(len(seg)))))
	return n, nil
}
