package fuzz

import (
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// benchSegment is a full-sized data segment with timestamps: 20 bytes of
// IPv4, 32 of TCP, 1460 of payload.
func benchSegment() []byte {
	payload := make([]byte, 1460)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	p := wire.Packet{
		IP: wire.IPv4Fields{ID: 1, Flags: wire.IPv4DontFragment, TTL: 64, Src: client, Dst: server},
		TCP: wire.Segment{
			SrcPort: 40000, DstPort: 80, Seq: 1000, Ack: 2000, Flags: wire.FlagACK, Window: 502,
			Options: wire.Options{HasTimestamps: true, TSVal: 1, TSEcr: 2},
			Payload: payload,
		},
	}
	return encode(p, wire.Illegal{})
}

// BenchmarkParseSegment: ours validates both headers, every field, the
// options and both checksums.
func BenchmarkParseSegment(b *testing.B) {
	pkt := benchSegment()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		p, err := wire.Parse(pkt)
		if err != nil || !p.TCP.Options.HasTimestamps {
			b.Fatal(err)
		}
	}
}

// gvisorParsed is what BenchmarkParseSegmentGVisor reads, the same fields
// wire.Parse fills in.
type gvisorParsed struct {
	ip   header.IPv4Fields
	tcp  header.TCPFields
	opts header.TCPOptions
}

// BenchmarkParseSegmentGVisor does the same work with gVisor's header
// package: IPv4 IsValid and IsChecksumValid, every field, ParseTCPOptions,
// and the TCP checksum over pseudo-header, header and payload.
func BenchmarkParseSegmentGVisor(b *testing.B) {
	pkt := benchSegment()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	var out gvisorParsed
	for b.Loop() {
		ip := header.IPv4(pkt)
		if !ip.IsValid(len(pkt)) || !ip.IsChecksumValid() || ip.More() || ip.FragmentOffset() != 0 || ip.Protocol() != uint8(header.TCPProtocolNumber) {
			b.Fatal("IPv4 invalid")
		}
		tos, _ := ip.TOS()
		out.ip = header.IPv4Fields{
			TOS: tos, TotalLength: ip.TotalLength(), ID: ip.ID(), Flags: ip.Flags(), FragmentOffset: ip.FragmentOffset(),
			TTL: ip.TTL(), Protocol: ip.Protocol(), Checksum: ip.Checksum(),
			SrcAddr: ip.SourceAddress(), DstAddr: ip.DestinationAddress(),
		}
		tcp := header.TCP(ip.Payload())
		if len(tcp) < header.TCPMinimumSize || int(tcp.DataOffset()) < header.TCPMinimumSize || int(tcp.DataOffset()) > len(tcp) {
			b.Fatal("TCP invalid")
		}
		out.tcp = header.TCPFields{
			SrcPort: tcp.SourcePort(), DstPort: tcp.DestinationPort(), SeqNum: tcp.SequenceNumber(), AckNum: tcp.AckNumber(),
			DataOffset: tcp.DataOffset(), Flags: tcp.Flags(), WindowSize: tcp.WindowSize(), Checksum: tcp.Checksum(), UrgentPointer: tcp.UrgentPointer(),
		}
		out.opts = header.ParseTCPOptions(tcp.Options())
		payload := tcp.Payload()
		if !tcp.IsChecksumValid(out.ip.SrcAddr, out.ip.DstAddr, checksum.Checksum(payload, 0), uint16(len(payload))) || !out.opts.TS {
			b.Fatal("TCP checksum invalid")
		}
	}
}

// BenchmarkParseSegmentIPv6: the same segment in IPv6 behind a Destination
// Options header of padding: ours validates the fixed header, walks the
// chain and its options, then TCP as for IPv4.
func BenchmarkParseSegmentIPv6(b *testing.B) {
	v4, err := wire.Parse(benchSegment())
	if err != nil {
		b.Fatal(err)
	}
	p := wire.Packet6{
		IP:  wire.IPv6Fields{HopLimit: 64, Src: client6, Dst: server6, NextHeader: nhDestOpts, ExtHeaders: extHeader(wire.ProtocolTCP, 1, 4, 0, 0, 0, 0)},
		TCP: v4.TCP,
	}
	pkt := encode6(p, wire.Illegal{})
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		p, err := wire.ParseIPv6(pkt)
		if err != nil || !p.TCP.Options.HasTimestamps {
			b.Fatal(err)
		}
	}
}
