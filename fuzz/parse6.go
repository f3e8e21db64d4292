package fuzz

import (
	"bytes"
	"errors"
	"net/netip"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// ignoreComputed6 leaves out the fields Packet6.Encode computes rather
// than copies, as ignoreComputed does for IPv4.
var ignoreComputed6 = cmp.Options{
	ignoreComputed,
	cmpopts.IgnoreFields(wire.IPv6Fields{}, "PayloadLength"),
}

// parseRoundTrip6 checks one IPv6 input of the round-trip target: what
// parses (a bad TCP checksum included) re-encodes to bytes that parse to
// the same Packet6, and encoding again is stable; a fault's ICMPv6 answer
// points at the byte it names.
func parseRoundTrip6(t fuzzT, b []byte) {
	t.Helper()
	p, err := wire.ParseIPv6(b)
	if err != nil {
		checkParseError(t, err)
		checkParamProblem(t, err, b, p.IP.Dst)
		if !errors.Is(err, wire.ErrTCPChecksum) {
			return
		}
	}
	b = b[:wire.IPv6HeaderLen+int(p.IP.PayloadLength)] // the rest is link padding
	checkParsedLengths6(t, b, p)

	again, encoded := reencode(t, p, wire.ParseIPv6, ignoreComputed6)
	checkParsedLengths6(t, encoded, again)
	// With every computed field kept, the original comes back byte for
	// byte whenever its options had the canonical layout.
	if p.TCP.Options.Len() == int(p.TCP.DataOffset)*4-wire.TCPMinHeaderLen {
		buf := make([]byte, max(p.Len(), len(b)))
		m, err := p.Encode(buf, wire.Illegal{KeepTCPChecksum: true, KeepDataOffset: true, KeepTotalLength: true})
		if err != nil || m != len(b) || !bytes.Equal(buf[:wire.IPv6HeaderLen+len(p.IP.ExtHeaders)], b[:wire.IPv6HeaderLen+len(p.IP.ExtHeaders)]) {
			t.Fatalf("Encode keeping parsed fields wrote %d bytes (err %v), original had %d; headers\n% x\nwant\n% x", m, err, len(b), buf[:m], b)
		}
	}
}

// checkParsedLengths6: the parts of a parsed IPv6 packet add up to its bytes.
func checkParsedLengths6(t fuzzT, b []byte, p wire.Packet6) {
	t.Helper()
	if int(p.IP.PayloadLength) != len(b)-wire.IPv6HeaderLen {
		t.Fatalf("payload length %d, packet is %d bytes", p.IP.PayloadLength, len(b))
	}
	parts := wire.IPv6HeaderLen + len(p.IP.ExtHeaders) + int(p.TCP.DataOffset)*4 + len(p.TCP.Payload)
	if parts != len(b) {
		t.Fatalf("IPv6 header 40 + extension headers %d + TCP header %d + payload %d = %d, packet is %d bytes",
			len(p.IP.ExtHeaders), int(p.TCP.DataOffset)*4, len(p.TCP.Payload), parts, len(b))
	}
	if len(p.IP.ExtHeaders)%8 != 0 {
		t.Fatalf("extension headers of %d bytes, not a multiple of 8 (RFC 8200 section 4)", len(p.IP.ExtHeaders))
	}
	if n := p.TCP.Options.NumSACKBlocks; n < 0 || n > wire.MaxSACKBlocks {
		t.Fatalf("%d SACK blocks", n)
	}
}

// checkParamProblem: an ICMPv6 Parameter Problem points inside the packet,
// at the byte holding the value the error reports (RFC 4443 section 3.4:
// "identifies the octet offset within the invoking packet where the error
// was detected").
func checkParamProblem(t fuzzT, err error, b []byte, dst netip.Addr) {
	t.Helper()
	code, pointer, ok := wire.ParamProblem(err, dst)
	if !ok {
		return
	}
	var pe *wire.ParseError
	errors.As(err, &pe)
	if int(pointer) >= len(b) || b[pointer] != byte(pe.Value) {
		t.Fatalf("ParamProblem code %d pointer %d for %v: the packet (%d bytes) holds no %d there", code, pointer, err, len(b), pe.Value)
	}
	if code > wire.ParamProblemOption {
		t.Fatalf("ParamProblem code %d for %v", code, err)
	}
}

// fixChecksum6 recomputes the TCP checksum of an IPv6 packet whose only
// fault is its checksum, so that mutated inputs reach the round trip too.
func fixChecksum6(b []byte) {
	p, err := wire.ParseIPv6(b)
	if !errors.Is(err, wire.ErrTCPChecksum) {
		return
	}
	seg := b[wire.IPv6HeaderLen+len(p.IP.ExtHeaders) : wire.IPv6HeaderLen+int(p.IP.PayloadLength)]
	wire.TCP(seg).SetChecksum(wire.TCPChecksum(p.IP.Src, p.IP.Dst, seg))
}
