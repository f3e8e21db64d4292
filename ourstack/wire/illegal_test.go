package wire

import (
	"errors"
	"testing"
)

// The builder writes wrong packets on purpose, and Parse names each fault.
func TestIllegalBuilds(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(p *Packet)
		ill   Illegal
		check func(t *testing.T, p Packet, err error)
	}{
		{
			name: "bad TCP checksum",
			edit: func(p *Packet) { p.TCP.Checksum = 0xbad0 },
			ill:  Illegal{KeepTCPChecksum: true},
			check: func(t *testing.T, p Packet, err error) {
				if !errors.Is(err, ErrTCPChecksum) || p.TCP.Checksum != 0xbad0 {
					t.Errorf("err %v, checksum %#x; want ErrTCPChecksum, 0xbad0", err, p.TCP.Checksum)
				}
			},
		},
		{
			name: "bad IP checksum",
			edit: func(p *Packet) { p.IP.Checksum = 0xbad0 },
			ill:  Illegal{KeepIPChecksum: true},
			check: func(t *testing.T, p Packet, err error) {
				if !errors.Is(err, ErrIPChecksum) || p.IP.Checksum != 0xbad0 {
					t.Errorf("err %v, checksum %#x; want ErrIPChecksum, 0xbad0", err, p.IP.Checksum)
				}
			},
		},
		{
			name: "SYN+FIN parses: it is legal on the wire, the TCB decides (RFC 9293 does not forbid it to the parser)",
			edit: func(p *Packet) { p.TCP.Flags = FlagSYN | FlagFIN },
			check: func(t *testing.T, p Packet, err error) {
				if err != nil || p.TCP.Flags != FlagSYN|FlagFIN {
					t.Errorf("err %v, flags %v; want nil, FS", err, p.TCP.Flags)
				}
			},
		},
		{
			name: "data offset past the end",
			edit: func(p *Packet) { p.TCP.DataOffset = 15 },
			ill:  Illegal{KeepDataOffset: true},
			check: func(t *testing.T, p Packet, err error) {
				if !errors.Is(err, ErrBadDataOffset) || p.TCP.DataOffset != 15 {
					t.Errorf("err %v, data offset %d; want ErrBadDataOffset, 15", err, p.TCP.DataOffset)
				}
			},
		},
		{
			name: "data offset 4",
			edit: func(p *Packet) { p.TCP.DataOffset = 4 },
			ill:  Illegal{KeepDataOffset: true},
			check: func(t *testing.T, p Packet, err error) {
				if !errors.Is(err, ErrBadDataOffset) {
					t.Errorf("err %v, want ErrBadDataOffset", err)
				}
			},
		},
		{
			name: "total length longer than the packet",
			edit: func(p *Packet) { p.IP.TotalLength = 1000 },
			ill:  Illegal{KeepTotalLength: true},
			check: func(t *testing.T, p Packet, err error) {
				if !errors.Is(err, ErrTruncated) || p.IP.TotalLength != 1000 {
					t.Errorf("err %v, total length %d; want ErrTruncated, 1000", err, p.IP.TotalLength)
				}
			},
		},
		{
			name: "fragment",
			edit: func(p *Packet) { p.IP.Flags = IPv4MoreFragments },
			check: func(t *testing.T, p Packet, err error) {
				if !errors.Is(err, ErrFragment) {
					t.Errorf("err %v, want ErrFragment", err)
				}
			},
		},
		{
			name: "not TCP",
			edit: func(p *Packet) { p.IP.Protocol = 17 },
			check: func(t *testing.T, p Packet, err error) {
				if !errors.Is(err, ErrNotTCP) {
					t.Errorf("err %v, want ErrNotTCP", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dataPSHPacket()
			tt.edit(&p)
			buf := make([]byte, 200)
			n, err := p.Encode(buf, tt.ill)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(buf[:n])
			tt.check(t, got, err)
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	p := dataPSHPacket()
	for n := range p.Len() {
		if _, err := p.Encode(make([]byte, n), Illegal{}); !errors.Is(err, ErrShortBuffer) {
			t.Fatalf("Encode into %d bytes: err %v, want ErrShortBuffer", n, err)
		}
	}
	p.TCP.Payload = make([]byte, 65536-52) // 20 IP + 32 TCP header bytes
	if _, err := p.Encode(make([]byte, 70000), Illegal{}); !errors.Is(err, ErrPacketTooLong) {
		t.Errorf("Encode of a 65536-byte packet: err %v, want ErrPacketTooLong", err)
	}
	p.TCP.Payload = p.TCP.Payload[1:]
	if n, err := p.Encode(make([]byte, 70000), Illegal{}); err != nil || n != 65535 {
		t.Errorf("Encode of a 65535-byte packet: %d, %v", n, err)
	}
}

// Protocol 0 means TCP, IP options are padded to 4 bytes, a non-IPv4
// address writes zeros rather than panicking.
func TestEncodeDefaults(t *testing.T) {
	p := rstPacket()
	p.IP.Protocol = 0
	p.IP.Options = []byte{7, 3, 4} // record route, cut short: raw bytes, written as given
	p.IP.Dst = netipMustParse("::1")
	buf := make([]byte, 100)
	n, err := p.Encode(buf, Illegal{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	if got.IP.Protocol != ProtocolTCP || string(got.IP.Options) != "\x07\x03\x04\x00" || got.IP.Dst != Addr4(0, 0, 0, 0) || n != 44 {
		t.Errorf("got protocol %d, options % x, dst %v, length %d", got.IP.Protocol, got.IP.Options, got.IP.Dst, n)
	}
}

// Encode never panics on a Packet no parser would produce: SACK block
// counts out of range, zero addresses, oversized IP options, every option.
func TestEncodeOddPackets(t *testing.T) {
	all := Options{HasMSS: true, SACKPermitted: true, HasTimestamps: true, HasWindowScale: true}
	for _, n := range []int{-1, 0, 1, 2, 3, 4, 5, 99} {
		for _, opts := range []Options{{NumSACKBlocks: n}, func() Options { o := all; o.NumSACKBlocks = n; return o }()} {
			p := Packet{IP: IPv4Fields{Options: make([]byte, 45)}, TCP: Segment{Options: opts}}
			if l := opts.Len(); l%4 != 0 || l > TCPMaxOptionsLen {
				t.Errorf("%d SACK blocks: Options.Len() = %d", n, l)
			}
			buf := make([]byte, p.Len())
			m, err := p.Encode(buf, Illegal{})
			if err != nil || m != len(buf) {
				t.Fatalf("%d SACK blocks: Encode = %d, %v; Len %d", n, m, err, len(buf))
			}
			got, err := Parse(buf)
			if err != nil {
				t.Fatalf("%d SACK blocks: Parse: %v", n, err)
			}
			if want := min(max(n, 0), MaxSACKBlocks); got.TCP.Options.NumSACKBlocks > want || len(got.IP.Options) != 40 {
				t.Errorf("%d SACK blocks: parsed %d blocks, %d bytes of IP options", n, got.TCP.Options.NumSACKBlocks, len(got.IP.Options))
			}
		}
	}
}
