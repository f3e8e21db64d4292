package wire

var (
	client = Addr4(10, 0, 0, 1)
	server = Addr4(10, 0, 0, 2)
)

// The Packets the byte vectors in vectors_test.go hold, written by hand.
func synEveryOptionPacket() Packet {
	return Packet{
		IP: IPv4Fields{TotalLength: 60, ID: 0x1c46, Flags: IPv4DontFragment, TTL: 64, Protocol: 6, Checksum: 0x0a74, Src: client, Dst: server},
		TCP: Segment{
			SrcPort: 40000, DstPort: 80, Seq: 0x01020304, DataOffset: 10, Flags: FlagSYN, Window: 64240, Checksum: 0x5410,
			Options: Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamps: true, TSVal: 0x11223344, HasWindowScale: true, WindowScale: 7},
		},
	}
}

func synAckPacket() Packet {
	return Packet{
		IP: IPv4Fields{TotalLength: 60, Flags: IPv4DontFragment, TTL: 64, Protocol: 6, Checksum: 0x26ba, Src: server, Dst: client},
		TCP: Segment{
			SrcPort: 80, DstPort: 40000, Seq: 0xa0b0c0d0, Ack: 0x01020305, DataOffset: 10, Flags: FlagSYN | FlagACK, Window: 65160, Checksum: 0x21f7,
			Options: Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamps: true, TSVal: 0x55667788, TSEcr: 0x11223344, HasWindowScale: true, WindowScale: 7},
		},
	}
}

func dataPSHPacket() Packet {
	return Packet{
		IP: IPv4Fields{TotalLength: 65, ID: 0x1c47, Flags: IPv4DontFragment, TTL: 64, Protocol: 6, Checksum: checksumOf(dataPSH, 10), Src: client, Dst: server},
		TCP: Segment{
			SrcPort: 40000, DstPort: 80, Seq: 0x01020305, Ack: 0xa0b0c0d1, DataOffset: 8, Flags: FlagPSH | FlagACK, Window: 502, Checksum: checksumOf(dataPSH, 36),
			Options: Options{HasTimestamps: true, TSVal: 0x11223345, TSEcr: 0x55667788},
			Payload: []byte("hello, world\n"),
		},
	}
}

func finAckPacket() Packet {
	return Packet{
		IP: IPv4Fields{TotalLength: 52, ID: 0x1c48, Flags: IPv4DontFragment, TTL: 64, Protocol: 6, Checksum: checksumOf(finAck, 10), Src: client, Dst: server},
		TCP: Segment{
			SrcPort: 40000, DstPort: 80, Seq: 0x01020312, Ack: 0xa0b0c0d1, DataOffset: 8, Flags: FlagFIN | FlagACK, Window: 502, Checksum: checksumOf(finAck, 36),
			Options: Options{HasTimestamps: true, TSVal: 0x11223345, TSEcr: 0x55667788},
		},
	}
}

func rstPacket() Packet {
	return Packet{
		IP:  IPv4Fields{TotalLength: 40, ID: 0x1c49, Flags: IPv4DontFragment, TTL: 64, Protocol: 6, Checksum: checksumOf(rst, 10), Src: client, Dst: server},
		TCP: Segment{SrcPort: 40000, DstPort: 80, Seq: 0x01020313, DataOffset: 5, Flags: FlagRST, Checksum: checksumOf(rst, 36)},
	}
}

func ackSACKPacket() Packet {
	return Packet{
		IP: IPv4Fields{TotalLength: 72, ID: 0x1c4a, Flags: IPv4DontFragment, TTL: 64, Protocol: 6, Checksum: checksumOf(ackSACK, 10), Src: client, Dst: server},
		TCP: Segment{
			SrcPort: 40000, DstPort: 80, Seq: 0x01020313, Ack: 0xa0b0c0d1, DataOffset: 13, Flags: FlagACK, Window: 502, Checksum: checksumOf(ackSACK, 36),
			Options: Options{
				HasTimestamps: true, TSVal: 0x11223346, TSEcr: 0x55667788,
				NumSACKBlocks: 2,
				SACKBlocks:    [MaxSACKBlocks]SACKBlock{{0x01020320, 0x01020330}, {0x01020340, 0x01020350}},
			},
		},
	}
}

// checksumOf reads a checksum field out of a hand-written vector (the
// vectors' checksums come from outside Go; see vectors_test.go).
func checksumOf(b []byte, off int) uint16 { return uint16(b[off])<<8 | uint16(b[off+1]) }

// vector is one real segment: its bytes and its fields.
type vector struct {
	name   string
	bytes  []byte
	packet Packet
}

func vectors() []vector {
	return []vector{
		{"SYN with every option", synEveryOption, synEveryOptionPacket()},
		{"SYN-ACK", synAck, synAckPacket()},
		{"data", dataPSH, dataPSHPacket()},
		{"FIN", finAck, finAckPacket()},
		{"RST", rst, rstPacket()},
		{"ACK with SACK blocks", ackSACK, ackSACKPacket()},
	}
}
