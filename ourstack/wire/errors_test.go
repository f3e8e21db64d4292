package wire

import (
	"errors"
	"slices"
	"testing"
)

// mutate copies b, applies f, then recomputes both checksums over whatever
// structure f left, so that the only fault is the one f made.
func mutate(b []byte, f func(b []byte)) []byte {
	c := slices.Clone(b)
	f(c)
	fixChecksums(c)
	return c
}

func fixChecksums(b []byte) {
	if len(b) < IPv4MinHeaderLen {
		return
	}
	ip := IPv4(b)
	hl := ip.HeaderLen()
	if hl < IPv4MinHeaderLen || hl > len(b) {
		hl = IPv4MinHeaderLen
	}
	seg := b[hl:]
	if len(seg) >= TCPMinHeaderLen {
		TCP(seg).SetChecksum(TCPChecksum(ip.Src(), ip.Dst(), seg))
	}
	ip.SetChecksum(IPv4HeaderChecksum(b[:hl]))
}

// Every prefix of every real segment is truncated.
func TestParseTruncatedAtEveryLength(t *testing.T) {
	for _, v := range vectors() {
		for n := range len(v.bytes) {
			_, err := Parse(v.bytes[:n])
			if !errors.Is(err, ErrTruncated) {
				t.Errorf("%s cut to %d of %d bytes: err %v, want ErrTruncated", v.name, n, len(v.bytes), err)
			}
		}
	}
}

// ParseTCP on every prefix of a segment with options: a short fixed header is
// truncated, a data offset past the end is a bad data offset.
func TestParseTCPTruncatedAtEveryLength(t *testing.T) {
	seg := synEveryOption[20:]
	for n := range len(seg) {
		_, err := ParseTCP(seg[:n], client, server)
		want := ErrTruncated
		if n >= TCPMinHeaderLen {
			want = ErrBadDataOffset
		}
		if !errors.Is(err, want) {
			t.Errorf("SYN segment cut to %d bytes: err %v, want %v", n, err, want)
		}
	}
}

// Each sentinel is reachable, and the *ParseError names the field's offset.
func TestParseErrors(t *testing.T) {
	ipOpts := func(words int) func(b []byte) {
		return func(b []byte) { b[0] = 0x40 | byte(5+words) }
	}
	tests := []struct {
		name       string
		packet     []byte
		want       error
		wantOffset int
	}{
		{"empty", nil, ErrTruncated, 0},
		{"19 bytes", rst[:19], ErrTruncated, 0},
		{"IPv6 version", mutate(rst, func(b []byte) { b[0] = 0x65 }), ErrNotIPv4, 0},
		{"version 0", mutate(rst, func(b []byte) { b[0] = 0x05 }), ErrNotIPv4, 0},
		{"IHL 0", mutate(rst, func(b []byte) { b[0] = 0x40 }), ErrBadIHL, 0},
		{"IHL 4", mutate(rst, func(b []byte) { b[0] = 0x44 }), ErrBadIHL, 0},
		{"IHL 15 past total length 40", mutate(rst, ipOpts(10)), ErrBadIHL, 0},
		{"total length 1 byte more than the packet", mutate(rst, func(b []byte) { b[3]++ }), ErrTruncated, 2},
		{"total length below IHL", mutate(rst, func(b []byte) { b[2], b[3] = 0, 19 }), ErrTotalLength, 2},
		{"more fragments", mutate(rst, func(b []byte) { b[6] = 0x20 }), ErrFragment, 6},
		{"fragment offset 1", mutate(rst, func(b []byte) { b[6], b[7] = 0, 1 }), ErrFragment, 6},
		{"fragment offset 8191 with DF", mutate(rst, func(b []byte) { b[6], b[7] = 0x5f, 0xff }), ErrFragment, 6},
		{"UDP", mutate(rst, func(b []byte) { b[9] = 17 }), ErrNotTCP, 9},
		{"TCP header of 10 bytes", mutate(rst[:30], func(b []byte) { b[3] = 30 }), ErrTruncated, 20},
		{"data offset 0", mutate(rst, func(b []byte) { b[32] = 0x00 }), ErrBadDataOffset, 32},
		{"data offset 4", mutate(rst, func(b []byte) { b[32] = 0x40 }), ErrBadDataOffset, 32},
		{"data offset 6 past the end", mutate(rst, func(b []byte) { b[32] = 0x60 }), ErrBadDataOffset, 32},
		{"data offset 15 past the end", mutate(rst, func(b []byte) { b[32] = 0xf0 }), ErrBadDataOffset, 32},
		{"MSS length 0", mutate(synEveryOption, func(b []byte) { b[41] = 0 }), ErrOptionLength, 41},
		{"MSS length 1", mutate(synEveryOption, func(b []byte) { b[41] = 1 }), ErrOptionLength, 41},
		{"MSS length 5", mutate(synEveryOption, func(b []byte) { b[41] = 5 }), ErrOptionLength, 41},
		{"window scale running past the header", mutate(synEveryOption, func(b []byte) { b[58] = 4 }), ErrOptionLength, 58},
		{"valid RST (the mutation helper adds no fault)", mutate(rst, func(b []byte) {}), nil, 0},
		{"IP header with 4 bytes of options", mutate(append(append(slices.Clone(rst[:20]), 1, 1, 1, 0), rst[20:]...), func(b []byte) { b[0] = 0x46; b[3] = 44 }), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.packet)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Parse: err %v, want %v", err, tt.want)
			}
			if err == nil {
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Offset != tt.wantOffset {
				t.Errorf("Offset = %d, want %d (%v)", pe.Offset, tt.wantOffset, err)
			}
			if pe.Field == "" || pe.Error() == "" {
				t.Errorf("ParseError without a field name: %#v", pe)
			}
		})
	}
}

// A corrupted checksum is reported, and the Packet is still complete: the
// trace prints corrupted packets.
func TestParseChecksumErrorsFillPacket(t *testing.T) {
	for _, v := range vectors() {
		for _, c := range []struct {
			off  int
			want error
		}{
			{10, ErrIPChecksum}, // IP checksum field
			{12, ErrIPChecksum}, // source address: covered by both sums
			{36, ErrTCPChecksum},
			{len(v.bytes) - 1, ErrTCPChecksum}, // last byte of the segment
		} {
			b := slices.Clone(v.bytes)
			b[c.off] ^= 0x40
			got, err := Parse(b)
			if !errors.Is(err, c.want) {
				t.Errorf("%s with byte %d flipped: err %v, want %v", v.name, c.off, err, c.want)
				continue
			}
			// The packet is the original but for the flipped field.
			want := v.packet
			switch c.off {
			case 10:
				want.IP.Checksum ^= 0x4000
			case 12:
				want.IP.Src = Addr4(10^0x40, 0, 0, 1)
				if v.packet.IP.Src == server {
					want.IP.Src = Addr4(10^0x40, 0, 0, 2)
				}
			case 36:
				want.TCP.Checksum ^= 0x4000
			}
			if c.off == len(v.bytes)-1 {
				if len(v.bytes) == 40 {
					want.TCP.Urgent ^= 0x40 // no options, no payload: the urgent pointer's low byte
				} else {
					// The flip hit the payload or the options: the rest must match.
					want.TCP.Options, want.TCP.Payload = got.TCP.Options, got.TCP.Payload
				}
			}
			if !equalPackets(got, want) {
				t.Errorf("%s with byte %d flipped: packet\n%+v\nwant\n%+v", v.name, c.off, got, want)
			}
			if len(got.TCP.Payload) != len(v.packet.TCP.Payload) {
				t.Errorf("%s with byte %d flipped: payload of %d bytes, want %d", v.name, c.off, len(got.TCP.Payload), len(v.packet.TCP.Payload))
			}
		}
	}
}

// ParseTCP reports a bad checksum with the segment filled in.
func TestParseTCPChecksum(t *testing.T) {
	seg := dataPSH[20:]
	s, err := ParseTCP(seg, client, server)
	if err != nil {
		t.Fatalf("ParseTCP: %v", err)
	}
	if string(s.Payload) != "hello, world\n" {
		t.Errorf("payload %q", s.Payload)
	}
	// The same bytes from another address fail the pseudo-header sum.
	s, err = ParseTCP(seg, Addr4(10, 0, 0, 3), server)
	if !errors.Is(err, ErrTCPChecksum) {
		t.Fatalf("ParseTCP from the wrong address: err %v, want ErrTCPChecksum", err)
	}
	if string(s.Payload) != "hello, world\n" || !s.Options.HasTimestamps {
		t.Errorf("segment not filled in on ErrTCPChecksum: %+v", s)
	}
}
