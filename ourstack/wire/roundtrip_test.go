package wire

import (
	"bytes"
	"testing"

	"net/netip"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// cmpPacket compares Packets; netip.Addr compares with ==.
var cmpPacket = cmpopts.EquateComparable(netip.Addr{})

// bytes -> Packet
func TestParseVectors(t *testing.T) {
	for _, v := range vectors() {
		t.Run(v.name, func(t *testing.T) {
			got, err := Parse(v.bytes)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(v.packet, got, cmpPacket); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Packet -> bytes
func TestEncodeVectors(t *testing.T) {
	for _, v := range vectors() {
		t.Run(v.name, func(t *testing.T) {
			p := v.packet
			if got := p.Len(); got != len(v.bytes) {
				t.Errorf("Len() = %d, want %d", got, len(v.bytes))
			}
			buf := make([]byte, 100)
			n, err := p.Encode(buf, Illegal{})
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(buf[:n], v.bytes) {
				t.Errorf("Encode wrote\n% x\nwant\n% x", buf[:n], v.bytes)
			}
			// Fields Encode computes are not read from the Packet.
			p.IP.TotalLength, p.IP.Checksum, p.TCP.DataOffset, p.TCP.Checksum = 0, 0, 0, 0
			n, err = p.Encode(buf, Illegal{})
			if err != nil || !bytes.Equal(buf[:n], v.bytes) {
				t.Errorf("Encode with computed fields zeroed: err %v, wrote\n% x\nwant\n% x", err, buf[:n], v.bytes)
			}
		})
	}
}

// TestParseVerifiedSumsNothing: ParseVerified reads what Parse reads and
// trusts the link's word on the checksums; a packet whose checksums the
// link verified cannot be wrong, so one with a wrong checksum parses, where
// Parse refuses it, and every other check still applies.
func TestParseVerifiedSumsNothing(t *testing.T) {
	for _, v := range vectors() {
		t.Run(v.name, func(t *testing.T) {
			bad := bytes.Clone(v.bytes)
			bad[len(bad)-1] ^= 0x01 // the last byte: payload, option or header
			if _, err := Parse(bad); err == nil {
				t.Fatal("Parse took a packet with a wrong checksum")
			}
			got, err := ParseVerified(bytes.Clone(v.bytes))
			if err != nil {
				t.Fatalf("ParseVerified: %v", err)
			}
			if diff := cmp.Diff(v.packet, got, cmpPacket); diff != "" {
				t.Errorf("ParseVerified mismatch (-want +got):\n%s", diff)
			}
			if _, err := ParseVerified(bad); err != nil {
				t.Errorf("ParseVerified summed the checksums: %v", err)
			}
			if _, err := ParseVerified(v.bytes[:len(v.bytes)-1]); err == nil {
				t.Error("ParseVerified took a truncated packet")
			}
			six := Packet6{IP: IPv6Fields{NextHeader: ProtocolTCP, HopLimit: 64,
				Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")}, TCP: v.packet.TCP}
			buf := make([]byte, six.Len())
			if _, err := six.Encode(buf, Illegal{}); err != nil {
				t.Fatal(err)
			}
			buf[len(buf)-1] ^= 0x01
			if _, err := ParseIPv6(buf); err == nil {
				t.Fatal("ParseIPv6 took a packet with a wrong checksum")
			}
			if _, err := ParseIPv6Verified(buf); err != nil {
				t.Errorf("ParseIPv6Verified summed the checksum: %v", err)
			}
		})
	}
}
