package fuzz

import (
	"bytes"
	"errors"
	"net/netip"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// parseSentinels are every fault Parse may report.
var parseSentinels = []error{
	wire.ErrTruncated, wire.ErrBadIHL, wire.ErrTotalLength, wire.ErrNotIPv4, wire.ErrNotTCP,
	wire.ErrFragment, wire.ErrBadDataOffset, wire.ErrOptionLength, wire.ErrIPChecksum, wire.ErrTCPChecksum,
	wire.ErrNotIPv6, wire.ErrUnknownNextHeader, wire.ErrRoutingHeader, wire.ErrUnknownOption, wire.ErrJumbogram,
	wire.ErrNotICMPError, wire.ErrICMPChecksum,
}

// ignoreComputed leaves out the fields Encode computes rather than copies:
// a re-encoded packet may lay its options out differently (Linux's order,
// NOP alignment), which changes these and nothing else.
var ignoreComputed = cmp.Options{
	cmpopts.EquateComparable(netip.Addr{}),
	cmpopts.IgnoreFields(wire.IPv4Fields{}, "TotalLength", "Checksum"),
	cmpopts.IgnoreFields(wire.Segment{}, "DataOffset", "Checksum"),
}

// fuzzParseSegment is the parser's round-trip fuzz target (parse_test.go)
// for one input: an IPv6 packet by its version nibble, IPv4 otherwise.
func fuzzParseSegment(t fuzzT, b []byte) {
	parseICMPError(t, b)
	if wire.IPVersion(b) == wire.IPv6Version {
		parseRoundTrip6(t, b)
		c := bytes.Clone(b)
		fixChecksum6(c)
		parseRoundTrip6(t, c)
		return
	}
	parseRoundTrip(t, b)
	// Mutations rarely keep a checksum right; try the fixed bytes too.
	c := bytes.Clone(b)
	fixChecksums(c)
	parseRoundTrip(t, c)
}

// parseICMPError reads b as an ICMP error about a TCP segment, as ourstack
// reads every ICMP packet that reaches it: any input gets a typed error or
// a message whose quote lies inside b, never a panic.
func parseICMPError(t fuzzT, b []byte) {
	t.Helper()
	var e wire.ICMPError
	var err error
	if wire.IPVersion(b) == wire.IPv6Version {
		e, err = wire.ParseICMPv6Error(b, wire.IPv6HeaderLen)
	} else {
		e, err = wire.ParseICMPv4Error(b)
	}
	if err != nil {
		checkParseError(t, err)
		return
	}
	if !e.Quoted.Src.IsValid() || !e.Quoted.Dst.IsValid() || !e.From.IsValid() {
		t.Fatalf("an ICMP error parsed with an address missing: %+v", e)
	}
}

// parseRoundTrip checks one input of the round-trip target.
func parseRoundTrip(t fuzzT, b []byte) {
	t.Helper()
	p, err := wire.Parse(b)
	if err != nil {
		checkParseError(t, err)
		if !errors.Is(err, wire.ErrIPChecksum) && !errors.Is(err, wire.ErrTCPChecksum) {
			return
		}
	}
	// Bytes past the total length are link-layer padding (RFC 791 3.1):
	// the datagram is what the checks below compare.
	if tl := int(p.IP.TotalLength); tl < len(b) {
		b = b[:tl]
	}
	checkParsedLengths(t, b, p)

	again, encoded := reencode(t, p, wire.Parse, ignoreComputed)
	checkParsedLengths(t, encoded, again)
	if int(again.IP.TotalLength) != len(encoded) {
		t.Fatalf("re-encoded total length %d, wrote %d bytes", again.IP.TotalLength, len(encoded))
	}
	// With every computed field kept as parsed, the original's header
	// lengths come back whenever its options had the canonical layout.
	if p.TCP.Options.Len() == int(p.TCP.DataOffset)*4-wire.TCPMinHeaderLen {
		buf := make([]byte, max(p.Len(), len(b)))
		m, err := p.Encode(buf, wire.Illegal{KeepTCPChecksum: true, KeepIPChecksum: true, KeepDataOffset: true, KeepTotalLength: true})
		if err != nil || m != len(b) {
			t.Fatalf("Encode keeping parsed fields wrote %d bytes (err %v), original had %d", m, err, len(b))
		}
	}
}

// encoder is what reencode needs of *wire.Packet and *wire.Packet6.
type encoder[P any] interface {
	*P
	Len() int
	Encode(buf []byte, ill wire.Illegal) (int, error)
}

// reencode encodes the parsed packet p, parses the bytes again, and checks
// that the second parse equals the first but for the fields ignore leaves
// out, and that encoding that again writes the same bytes. It returns the
// second parse and its bytes.
func reencode[P any, PP encoder[P]](t fuzzT, p P, parse func([]byte) (P, error), ignore cmp.Option) (again P, encoded []byte) {
	t.Helper()
	buf := make([]byte, PP(&p).Len())
	n, err := PP(&p).Encode(buf, wire.Illegal{})
	if err != nil || n != len(buf) {
		t.Fatalf("Encode of a parsed packet: wrote %d bytes, Len says %d, err %v", n, len(buf), err)
	}
	again, err = parse(buf)
	if err != nil {
		t.Fatalf("re-encoded packet does not parse: %v\n% x", err, buf)
	}
	if diff := cmp.Diff(p, again, ignore); diff != "" {
		t.Fatalf("parse -> encode -> parse changed the packet (-first +second):\n%s", diff)
	}
	second := make([]byte, len(buf))
	m, err := PP(&again).Encode(second, wire.Illegal{})
	if err != nil || !bytes.Equal(second[:m], buf) {
		t.Fatalf("encoding is not stable: err %v\nfirst  % x\nsecond % x", err, buf, second[:m])
	}
	return again, buf
}

// checkParseError: an error from Parse is a *ParseError naming a field and
// wrapping exactly one sentinel.
func checkParseError(t fuzzT, err error) {
	t.Helper()
	var pe *wire.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse error %T (%v) is not a *wire.ParseError", err, err)
	}
	if pe.Field == "" {
		t.Fatalf("ParseError names no field: %v", err)
	}
	matched := 0
	for _, s := range parseSentinels {
		if errors.Is(err, s) {
			matched++
		}
	}
	if matched != 1 {
		t.Fatalf("Parse error %v wraps %d sentinels, want 1", err, matched)
	}
}

// checkParsedLengths: the parts of a parsed packet add up to its bytes.
func checkParsedLengths(t fuzzT, b []byte, p wire.Packet) {
	t.Helper()
	if int(p.IP.TotalLength) != len(b) {
		t.Fatalf("total length %d, packet is %d bytes", p.IP.TotalLength, len(b))
	}
	parts := wire.IPv4MinHeaderLen + len(p.IP.Options) + int(p.TCP.DataOffset)*4 + len(p.TCP.Payload)
	if parts != len(b) {
		t.Fatalf("IP header %d + TCP header %d + payload %d = %d, packet is %d bytes",
			wire.IPv4MinHeaderLen+len(p.IP.Options), int(p.TCP.DataOffset)*4, len(p.TCP.Payload), parts, len(b))
	}
	if n := p.TCP.Options.NumSACKBlocks; n < 0 || n > wire.MaxSACKBlocks {
		t.Fatalf("%d SACK blocks", n)
	}
}
