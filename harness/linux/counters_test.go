package linux

import (
	"net/netip"
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// A segment with a bad checksum is counted by the namespace's TCP (InErrs,
// InCsumErrors) and by the peer's MalformedDropped, and answered with
// nothing; the machine's own counters are not the namespace's.
func TestBadChecksumCounted(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		before, err := h.Counters()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := before["TcpExt.SyncookiesSent"]; !ok {
			t.Errorf("no TcpExt counters (netstat) in %d counters", len(before))
		}
		if before["Tcp.InErrs"] != 0 || before["Tcp.InSegs"] != 0 {
			t.Fatalf("a new namespace's counters are not zero: %v", before)
		}
		pkt := segment(t, h, 40003, 81, 1, 0, packet.SYN, packet.Options{}, nil)
		pkt[len(pkt)-1] ^= 0x10 // the urgent pointer's low byte: the TCP checksum no longer holds
		send(t, h, pkt)
		expectNothing(t, h, 0)
		after, err := h.Counters()
		if err != nil {
			t.Fatal(err)
		}
		if after["Tcp.InErrs"] != 1 || after["Tcp.InCsumErrors"] != 1 {
			t.Errorf("InErrs %d, InCsumErrors %d; want 1 and 1", after["Tcp.InErrs"], after["Tcp.InCsumErrors"])
		}
		p := &peer{host: h}
		if got, _ := p.Counters(); got.MalformedDropped != 1 {
			t.Errorf("MalformedDropped %d, want 1", got.MalformedDropped)
		}
	})
}

// DialFrom binds the local port asked for (harness.PortDialer).
func TestPeerDialFrom(t *testing.T) {
	n := newNet(t, harness.Config{Seed: 1, Client: NewPeer(Config{}), Server: gvisor.NewPeer(gvisor.Options{})})
	c, err := harness.DialFrom(n.Client(), 40123, netip.AddrPortFrom(n.Addr(harness.Server), 80))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID().LocalPort != 40123 {
		t.Fatalf("local port %d, want 40123", c.ID().LocalPort)
	}
}

func TestParseCountersRejectsMismatch(t *testing.T) {
	if _, err := parseSNMP([]byte("Tcp: A B\nTcp: 1\n")); err == nil {
		t.Error("names and values of different lengths accepted")
	}
	if _, err := parseSNMP([]byte("Tcp: A B\n")); err == nil {
		t.Error("a names line with no values accepted")
	}
	c, err := parseSNMP([]byte("Ip: Forwarding InHdrErrors\nIp: 1 7\nTcp: MaxConn InErrs\nTcp: -1 3\n"))
	if err != nil || c["Ip.InHdrErrors"] != 7 || c["Tcp.InErrs"] != 3 {
		t.Errorf("parse: %v, %v", c, err)
	}
	if _, ok := c["Tcp.MaxConn"]; ok {
		t.Error("-1 (no limit) read as a count")
	}
}

func TestParseSNMP6(t *testing.T) {
	c, err := parseSNMP6([]byte("Ip6InReceives   \t4\nIp6InHdrErrors 2\nIcmp6InType135 1\nUdpLite6InErrors 0\n"))
	if err != nil || c["Ip6.InReceives"] != 4 || c["Ip6.InHdrErrors"] != 2 || c["Icmp6.InType135"] != 1 || len(c) != 4 {
		t.Errorf("parse: %v, %v", c, err)
	}
	for _, bad := range []string{"Ip6InReceives\n", "Ip6InReceives x\n", "NoSixHere 1\n", "Ip6 1\n"} {
		if _, err := parseSNMP6([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
