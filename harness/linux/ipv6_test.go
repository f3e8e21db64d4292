package linux

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// An IPv6 Host's TUN carries the run's packets and nothing else: the
// namespace's IPv6 host configuration is off on the device itself, a whole
// connection (handshake, data both ways, Linux's close) crosses the TUN
// with every packet addressed 2001:db8::2 <-> 2001:db8::1, and past the
// delays after which Linux would send its first router solicitation and MLD
// report (RFC 4861 6.3.7: up to MAX_RTR_SOLICITATION_DELAY, 1 s) nothing
// more comes, and nothing was dropped.
func TestIPv6TUNCarriesOnlyTheRun(t *testing.T) {
	h := openHost(t, Config{Addr: DefaultAddr6})
	for key, want := range map[string][]string{
		"disable_ipv6": {"0"},
		// -1: the kernel's own "no DAD on this device", which it sets
		// for one with IFF_NOARP (ipv6_add_dev in net/ipv6/addrconf.c).
		"accept_dad":           {"0", "-1"},
		"router_solicitations": {"0"},
		"accept_ra":            {"0"},
		"autoconf":             {"0"},
		"addr_gen_mode":        {"1"},
	} {
		if v, err := h.Sysctl("net/ipv6/conf/" + defaultDevice + "/" + key); err != nil || !slices.Contains(want, v) {
			t.Errorf("%s's %s = %q, %v; want one of %q", defaultDevice, key, v, err, want)
		}
	}

	c, e := establish(t, h, 8086)
	if n, err := c.TryWrite([]byte("over six")); n != 8 || err != nil {
		t.Fatalf("TryWrite: %d, %v", n, err)
	}
	seg := e.expectSegment(t, h, packet.ACK|packet.PSH)
	if string(seg.Payload) != "over six" {
		t.Fatalf("payload %q", seg.Payload)
	}
	e.sendData(t, h, []byte("and back"), true)
	e.expectSegment(t, h, packet.ACK)
	buf := make([]byte, 16)
	if n, err := c.TryRead(buf); err != nil || string(buf[:n]) != "and back" {
		t.Fatalf("TryRead: %q, %v", buf[:n], err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	e.expectSegment(t, h, packet.ACK|packet.FIN)
	e.ack(t, h)
	// Linux read our FIN first: its close went LAST-ACK, and our ACK of its
	// FIN ends the connection, without TIME-WAIT.
	st, err := h.State(c.ID())
	wantState(t, "after both FINs", st, err, harness.Closed)

	expectNothing(t, h, 1500*time.Millisecond)
	if s := h.Stats(); s.Dropped != 0 {
		t.Errorf("the kernel sent %d packets that are not the run's", s.Dropped)
	}
}

// ofTheRun keeps IPv4, IPv6 TCP and ICMPv6 errors and drops IPv6's own
// housekeeping (RFC 4443 2.1: error types are 0-127, informational 128-255).
func TestOfTheRun(t *testing.T) {
	v6 := func(next byte, payload ...byte) []byte {
		p := []byte{0x60, 0, 0, 0, 0, byte(len(payload)), next, 255}
		p = append(p, netip.MustParseAddr("2001:db8::2").AsSlice()...)
		p = append(p, netip.MustParseAddr("ff02::2").AsSlice()...)
		return append(p, payload...)
	}
	for _, c := range []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"IPv4", []byte{0x45, 0, 0, 20}, true},
		{"IPv6 TCP", v6(protoTCP, make([]byte, 20)...), true},
		{"destination unreachable", v6(protoICMPv6, 1, 4, 0, 0), true},
		{"packet too big", v6(protoICMPv6, 2, 0, 0, 0), true},
		{"parameter problem", v6(protoICMPv6, 4, 1, 0, 0), true},
		{"echo reply", v6(protoICMPv6, 129, 0, 0, 0), false},
		{"router solicitation", v6(protoICMPv6, 133, 0, 0, 0), false},
		{"neighbor solicitation", v6(protoICMPv6, 135, 0, 0, 0), false},
		{"MLDv2 report behind hop-by-hop", v6(0, protoICMPv6, 0, 5, 2, 0, 0, 1, 0, 143, 0, 0, 0), false},
		{"UDP", v6(17, make([]byte, 8)...), false},
		{"ICMPv6 without a type", v6(protoICMPv6), false},
		{"short IPv6", v6(protoTCP)[:39], false},
		{"empty", nil, false},
		{"version 5", []byte{0x50}, false},
	} {
		if got := ofTheRun(c.pkt); got != c.want {
			t.Errorf("%s: ofTheRun = %v, want %v", c.name, got, c.want)
		}
	}
}

// IPv6 needs a link MTU of 1280 (RFC 8200 5), and Linux takes IPv6 off a
// device with less: a Host over IPv6 with a smaller MTU is refused as
// unsupported (a scenario skips), not built broken.
func TestIPv6BelowMinimumMTU(t *testing.T) {
	if _, err := Open(Config{Addr: DefaultAddr6, MTU: 1279}); !errors.Is(err, harness.ErrUnsupported) {
		t.Fatalf("Open with MTU 1279 over IPv6: %v, want ErrUnsupported", err)
	}
	h := openHost(t, Config{Addr: DefaultAddr6, MTU: 1280})
	if _, err := h.Listen(80, 1); err != nil {
		t.Fatalf("Listen on an IPv6 Host of MTU 1280: %v", err)
	}
}

// The namespace's net.ipv4.tcp_* sysctls and ip_local_port_range govern its
// IPv6 sockets too (sysctl.go): with SACK and timestamps off, an IPv6 SYN
// offers neither, and its source port comes from the range set.
func TestIPv4SysctlsGovernIPv6(t *testing.T) {
	h := openHost(t, Config{Addr: DefaultAddr6, Sysctls: map[string]string{
		"net/ipv4/tcp_sack":            "0",
		"net/ipv4/tcp_timestamps":      "0",
		"net/ipv4/ip_local_port_range": "50000 50009",
	}})
	c, err := h.Connect(netip.AddrPortFrom(harnessAddr(h), 9002))
	if err != nil {
		t.Fatal(err)
	}
	syn := expect(t, h).TCP
	if syn.Flags != packet.SYN || syn.Options.SACKPermitted || syn.Options.HasTimestamps || !syn.Options.HasWindowScale {
		t.Errorf("SYN %v, want one with wscale and no sackOK or TS", &syn)
	}
	if p := c.ID().LocalPort; p < 50000 || p > 50009 || syn.SrcPort != p {
		t.Errorf("source port %d (SYN's %d), want one of 50000-50009", p, syn.SrcPort)
	}
}
