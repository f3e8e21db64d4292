package fuzz

import (
	"errors"
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
	}
	for _, s := range seeds() {
		_, err := wire.Parse(s.bytes)
		if w := want[s.name]; !errors.Is(err, w) || (w == nil) != (err == nil) {
			t.Errorf("seed %s: Parse error %v, want %v", s.name, err, w)
		}
	}
}
