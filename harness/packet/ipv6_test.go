package packet

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	client6 = netip.MustParseAddr("2001:db8::1")
	server6 = netip.MustParseAddr("2001:db8::2")
)

func synWithEveryOption6() Packet {
	p := synWithEveryOption()
	p.IP = IP{TOS: 0x2e, FlowLabel: 0xabcde, TTL: 64, Src: client6, Dst: server6}
	return p
}

// The IPv6 header, as RFC 8200 section 3 lays it out, is what Encode
// writes; Parse gives every field back.
func TestEncodeIPv6WritesTheRFCHeader(t *testing.T) {
	p := synWithEveryOption6()
	b := p.Encode(Illegal{})
	if Len(p) != len(b) {
		t.Fatalf("Encode wrote %d bytes, Len says %d", len(b), Len(p))
	}
	// version 6, traffic class 0x2e, flow label 0xabcde
	if got, want := b[:4], []byte{0x62, 0xea, 0xbc, 0xde}; !slices.Equal(got, want) {
		t.Errorf("version/class/flow % x, want % x", got, want)
	}
	if pl := int(b[4])<<8 | int(b[5]); pl != len(b)-40 {
		t.Errorf("payload length %d, want %d", pl, len(b)-40)
	}
	if b[6] != 6 || b[7] != 64 {
		t.Errorf("next header %d, hop limit %d; want 6, 64", b[6], b[7])
	}
	if src, dst := client6.As16(), server6.As16(); !slices.Equal(b[8:24], src[:]) || !slices.Equal(b[24:40], dst[:]) {
		t.Errorf("addresses % x / % x", b[8:24], b[24:40])
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	p.TCP.DataOffset, p.TCP.Checksum = got.TCP.DataOffset, got.TCP.Checksum
	if diff := cmp.Diff(p, got, cmpopts.EquateComparable(netip.Addr{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-sent +parsed):\n%s", diff)
	}
}

// withExtHeaders puts the raw extension headers ext, the first of them
// named first, between the fixed header and TCP of an encoded IPv6 packet.
// The TCP checksum still holds: the pseudo-header counts TCP's length only.
func withExtHeaders(b []byte, first byte, ext ...byte) []byte {
	out := slices.Concat(b[:40], ext, b[40:])
	out[6] = first
	pl := len(out) - 40
	out[4], out[5] = byte(pl>>8), byte(pl)
	return out
}

// What the judge reads behind IPv6 extension headers (RFC 8200 section 4)
// and what it cannot describe.
func TestParseIPv6ExtensionHeaders(t *testing.T) {
	good := synWithEveryOption6().Encode(Illegal{})
	for _, tt := range []struct {
		name string
		b    []byte
		want string // "" parses; else a piece of the ErrMalformed message
	}{
		{"Hop-by-Hop PadN, Destination Options Pad1s", withExtHeaders(good, 0, 60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0), ""},
		{"Routing with no segments left", withExtHeaders(good, 43, 6, 0, 4, 0, 0, 0, 0, 0), ""},
		{"an atomic fragment (RFC 8200 4.5)", withExtHeaders(good, 44, 6, 0, 0, 0, 0, 0, 0, 9), ""},
		{"a first fragment", withExtHeaders(good, 44, 6, 0, 0, 1, 0, 0, 0, 9), "IPv6 fragment (id 9, offset 0, more to come)"},
		{"a later fragment", withExtHeaders(good, 44, 6, 0, 0, 0x10, 0, 0, 0, 9), "IPv6 fragment (id 9, offset 16)"},
		{"Routing with segments left", withExtHeaders(good, 43, 6, 0, 4, 2, 0, 0, 0, 0), "2 segments left"},
		{"No Next Header", withExtHeaders(good, 59), "No Next Header"},
		{"UDP", withExtHeaders(good, 17), "next header 17, not TCP"},
		{"an extension header past the payload", withExtHeaders(good, 60, 6, 200, 0, 0, 0, 0, 0, 0), "IPv6 extension header"},
		{"payload length past the packet", func() []byte { c := slices.Clone(good); c[5]++; return c }(), "not a whole IPv6"},
		{"version 5", func() []byte { c := slices.Clone(good); c[0] = 0x52; return c }(), "IP version 5"},
		{"empty", nil, "IP version -1"},
	} {
		p, err := Parse(tt.b)
		if tt.want == "" {
			if err != nil || p.TCP.Seq != 1000 || !p.TCP.Options.HasMSS || p.IP.Src != client6 {
				t.Errorf("%s: err %v, packet %+v", tt.name, err, p)
			}
			continue
		}
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want ErrMalformed saying %q", tt.name, err, tt.want)
		}
		if fragment := strings.Contains(tt.name, "fragment") && !strings.Contains(tt.name, "atomic"); errors.Is(err, ErrFragment) != fragment {
			t.Errorf("%s: err %v is ErrFragment: %v, want %v", tt.name, err, !fragment, fragment)
		}
	}
}

// A Parameter Problem whose body does not start with the invoking packet's
// IPv6 header (RFC 4443 2.4 (c)) still gives its type, code and pointer,
// marked as quoting nothing readable; another error quoting so is no
// message about a segment at all.
func TestParseICMPv6ParamProblemWithoutIPv6Header(t *testing.T) {
	syn := synWithEveryOption6().Encode(Illegal{})
	fromRouting := withExtHeaders(syn, 43, 6, 0, 253, 1, 0, 0, 0, 0)[40:] // the quote lwIP sends: Routing header on
	for _, tt := range []struct {
		name  string
		quote []byte
	}{
		{"from the Routing header", fromRouting},
		{"shorter than an IPv6 header", syn[:24]},
	} {
		msg, err := ICMPv6Error(server6, ICMPv6ParamProblem, 0, 42, syn)
		if err != nil {
			t.Fatal(err)
		}
		b := slices.Concat(msg[:48], tt.quote)
		b[4], b[5] = byte((len(b)-40)>>8), byte(len(b)-40)
		m, err := ParseICMP(b)
		if err != nil || !m.QuoteUnreadable || m.Type != ICMPv6ParamProblem || m.Code != 0 || m.Pointer != 42 || m.Quoted.IP.Src.IsValid() {
			t.Errorf("%s: %+v, %v; want a Parameter Problem, code 0, pointer 42, QuoteUnreadable", tt.name, m, err)
		}
		b[40] = ICMPv6DestUnreachable
		if _, err := ParseICMP(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: a Destination Unreachable quoting so gives %v, want ErrMalformed", tt.name, err)
		}
	}
	whole, _ := ICMPv6Error(server6, ICMPv6ParamProblem, 0, 42, syn)
	if m, err := ParseICMP(whole); err != nil || m.QuoteUnreadable || m.Quoted.IP.Src != client6 {
		t.Errorf("a whole quote: %+v, %v", m, err)
	}
}

func TestParseIPv6BadChecksumStillDescribes(t *testing.T) {
	p := synWithEveryOption6()
	p.TCP.Checksum = 0xbeef
	got, err := Parse(p.Encode(Illegal{KeepTCPChecksum: true}))
	if !errors.Is(err, ErrTCPChecksum) || got.TCP.Seq != 1000 || got.IP.Dst != server6 {
		t.Fatalf("bad TCP checksum: err %v, packet %+v", err, got)
	}
	// The IPv6 pseudo-header covers the addresses (RFC 8200 8.1).
	b := synWithEveryOption6().Encode(Illegal{})
	b[39] ^= 1
	if _, err := Parse(b); !errors.Is(err, ErrTCPChecksum) {
		t.Fatalf("destination address changed: err %v, want ErrTCPChecksum", err)
	}
	// Padding past the payload length is the link's.
	good := synWithEveryOption6().Encode(Illegal{})
	if _, err := Parse(append(slices.Clone(good), 0, 0xee)); err != nil {
		t.Fatalf("padded IPv6 packet: %v", err)
	}
}

func TestMaxLenByFamily(t *testing.T) {
	if got := MaxLen(IP{Src: client}); got != 65535 {
		t.Errorf("IPv4 MaxLen %d, want 65535", got)
	}
	if got := MaxLen(IP{Src: client6}); got != 40+65535 {
		t.Errorf("IPv6 MaxLen %d, want 65575", got)
	}
}

func TestFragmentRefusesIPv6(t *testing.T) {
	if _, err := Fragment(synWithEveryOption6().Encode(Illegal{}), 8); err == nil || !strings.Contains(err.Error(), "IPv6") {
		t.Errorf("Fragment of an IPv6 packet: err %v, want a refusal naming IPv6", err)
	}
}

// An extension header of 256 bytes or more: the TCP header is found where
// the header's length (RFC 8200 4.6: 8-octet units past the first 8) says.
func TestParseIPv6LongExtensionHeader(t *testing.T) {
	good := synWithEveryOption6().Encode(Illegal{})
	const units = 40 // (40+1)*8 = 328 bytes
	ext := make([]byte, (units+1)*8)
	ext[0], ext[1] = 6, units // TCP next; the rest Pad1 options
	p, err := Parse(withExtHeaders(good, 60, ext...))
	if err != nil || p.TCP.Seq != 1000 || !p.TCP.Options.HasMSS {
		t.Fatalf("TCP behind a %d-byte Destination Options header: err %v, segment %+v", len(ext), err, p.TCP)
	}
}
