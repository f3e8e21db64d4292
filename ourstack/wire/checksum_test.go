package wire

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip"
	gvchecksum "gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// Our RFC 1071 sum against gVisor's for every length up to 200 and some
// large ones, at every initial value class.
func TestChecksumMatchesGVisor(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{1499, 1500, 1501, 65535}
	for n := range 200 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		for _, initial := range []uint16{0, 1, 0x8000, 0xfffe, 0xffff, uint16(rng.Uint32())} {
			if got, want := Checksum(b, initial), gvchecksum.Checksum(b, initial); got != want {
				t.Fatalf("Checksum(%d bytes, %#x) = %#x, gVisor says %#x", n, initial, got, want)
			}
		}
	}
	// All-ones data is where end-around carries pile up.
	ff := make([]byte, 4096)
	for i := range ff {
		ff[i] = 0xff
	}
	for n := range len(ff) {
		if got, want := Checksum(ff[:n], 0xffff), gvchecksum.Checksum(ff[:n], 0xffff); got != want {
			t.Fatalf("Checksum(%d bytes of 0xff) = %#x, gVisor says %#x", n, got, want)
		}
	}
}

func TestChecksumCombineMatchesGVisor(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		a, b := uint16(rng.Uint32()), uint16(rng.Uint32())
		if got, want := ChecksumCombine(a, b), gvchecksum.Combine(a, b); got != want {
			t.Fatalf("ChecksumCombine(%#x, %#x) = %#x, gVisor says %#x", a, b, got, want)
		}
	}
}

// The pseudo-header of both families, IPv4's (RFC 9293 section 3.1) and
// IPv6's (RFC 8200 section 8.1), sums as gVisor sums it.
func TestPseudoHeaderChecksumMatchesGVisor(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, size := range []int{4, 16} {
		for range 1000 {
			s, d := make([]byte, size), make([]byte, size)
			for i := range size {
				s[i], d[i] = byte(rng.Uint32()), byte(rng.Uint32())
			}
			src, _ := netip.AddrFromSlice(s)
			dst, _ := netip.AddrFromSlice(d)
			length := uint16(rng.Uint32())
			got := PseudoHeaderChecksum(src, dst, length)
			want := header.PseudoHeaderChecksum(header.TCPProtocolNumber, tcpip.AddrFromSlice(s), tcpip.AddrFromSlice(d), length)
			if got != want {
				t.Fatalf("PseudoHeaderChecksum(%v, %v, %d) = %#x, gVisor says %#x", src, dst, length, got, want)
			}
		}
	}
}

// The checksums Encode writes are the ones gVisor computes and accepts.
func TestEncodedChecksumsMatchGVisor(t *testing.T) {
	for _, v := range vectors() {
		ip := header.IPv4(v.bytes)
		if !ip.IsChecksumValid() {
			t.Errorf("%s: gVisor rejects the IPv4 checksum", v.name)
		}
		tcp := header.TCP(ip.Payload())
		payloadSum := gvchecksum.Checksum(tcp.Payload(), 0)
		if !tcp.IsChecksumValid(ip.SourceAddress(), ip.DestinationAddress(), payloadSum, uint16(len(tcp.Payload()))) {
			t.Errorf("%s: gVisor rejects the TCP checksum", v.name)
		}
		if got, want := TCPChecksum(v.packet.IP.Src, v.packet.IP.Dst, v.bytes[20:]), tcp.Checksum(); got != want {
			t.Errorf("%s: TCPChecksum = %#x, vector has %#x", v.name, got, want)
		}
		if got, want := IPv4HeaderChecksum(v.bytes[:20]), ip.Checksum(); got != want {
			t.Errorf("%s: IPv4HeaderChecksum = %#x, vector has %#x", v.name, got, want)
		}
	}
}

// The TCP checksums of the IPv6 vectors (gVisor's) are the ones
// TCPChecksum computes from the addresses.
func TestTCPChecksumIPv6MatchesGVisor(t *testing.T) {
	for _, v := range vectors6() {
		seg := v.bytes[IPv6HeaderLen+len(v.packet.IP.ExtHeaders):]
		if got, want := TCPChecksum(v.packet.IP.Src, v.packet.IP.Dst, seg), v.packet.TCP.Checksum; got != want {
			t.Errorf("%s: TCPChecksum = %#x, gVisor wrote %#x", v.name, got, want)
		}
	}
}
