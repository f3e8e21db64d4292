package fuzz

import (
	"errors"
	"strings"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// TestSeedsAreWhatTheirNamesSay: each broken seed is broken in the way its
// name says, so the corpus covers every fault Parse knows.
func TestSeedsAreWhatTheirNamesSay(t *testing.T) {
	want := map[string]error{
		"bad-tcp-checksum": wire.ErrTCPChecksum, "bad-ip-checksum": wire.ErrIPChecksum,
		"data-offset-past-end": wire.ErrBadDataOffset, "data-offset-4": wire.ErrBadDataOffset,
		"empty": wire.ErrTruncated, "truncated-ip": wire.ErrTruncated, "truncated-tcp": wire.ErrTruncated,
		"trailing-padding": nil, "total-length-19": wire.ErrTotalLength, "ipv6-version": wire.ErrNotIPv4,
		"ihl-4": wire.ErrBadIHL, "ihl-15": wire.ErrBadIHL, "ihl-15-no-room-for-tcp": wire.ErrTruncated,
		"fragment-mf": wire.ErrFragment, "fragment-offset": wire.ErrFragment, "udp": wire.ErrNotTCP,
		"mss-length-0": wire.ErrOptionLength, "mss-length-3": wire.ErrOptionLength,
		"wscale-length-4": wire.ErrOptionLength, "ts-length-8": wire.ErrOptionLength,
		"sack-length-2": wire.ErrOptionLength, "sack-length-9": wire.ErrOptionLength,
		"unknown-option-length-1": wire.ErrOptionLength, "option-kind-at-end": wire.ErrOptionLength,

		"v6-unknown-option-discard": wire.ErrUnknownOption, "v6-unknown-option-icmp": wire.ErrUnknownOption,
		"v6-unknown-option-icmp-unicast": wire.ErrUnknownOption, "v6-option-past-header": wire.ErrTruncated,
		"v6-hop-by-hop-not-first": wire.ErrUnknownNextHeader, "v6-routing-segments-left": wire.ErrRoutingHeader,
		"v6-fragment": wire.ErrFragment, "v6-unknown-next-header": wire.ErrUnknownNextHeader,
		"v6-ext-header-past-payload": wire.ErrTruncated, "v6-icmpv6": wire.ErrNotTCP,
		"v6-truncated-header": wire.ErrTruncated, "v6-truncated-payload": wire.ErrTruncated,
		"v6-no-next-header": wire.ErrNotTCP, "v6-udp": wire.ErrNotTCP, "v6-bad-tcp-checksum": wire.ErrTCPChecksum,
		"v6-data-offset-4": wire.ErrBadDataOffset, "v6-jumbogram": wire.ErrJumbogram,

		// ICMP errors: read whole by ParseICMPv4Error.
		"icmp-frag-needed": nil, "icmp-port-unreachable": nil,
	}
	for _, s := range seeds() {
		parse := func(b []byte) error { _, err := wire.Parse(b); return err }
		switch {
		case strings.HasPrefix(s.name, "v6-"):
			parse = func(b []byte) error { _, err := wire.ParseIPv6(b); return err }
		case strings.HasPrefix(s.name, "icmp-"):
			parse = func(b []byte) error { _, err := wire.ParseICMPv4Error(b); return err }
		}
		err := parse(s.bytes)
		if w := want[s.name]; !errors.Is(err, w) || (w == nil) != (err == nil) {
			t.Errorf("seed %s: Parse error %v, want %v", s.name, err, w)
		}
	}
}
