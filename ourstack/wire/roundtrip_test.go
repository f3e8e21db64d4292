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
