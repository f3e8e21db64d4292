package linux

import (
	"errors"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// harnessAddr is the harness's end of h's TUN in these tests, in h's
// family.
func harnessAddr(h *Host) netip.Addr {
	if h.Addr().Is6() {
		return DefaultHarnessAddr6
	}
	return DefaultHarnessAddr
}

// families are the Host configurations a test runs in, one per family.
var families = []struct {
	name string
	cfg  Config
}{
	{"ipv4", Config{}},
	{"ipv6", Config{Addr: DefaultAddr6}},
}

// inEachFamily runs test once per family, as a subtest, with a Host of
// that family.
func inEachFamily(t *testing.T, test func(t *testing.T, h *Host)) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) { test(t, openHost(t, f.cfg)) })
	}
}

// wantMSS is the MSS Linux announces on a TUN of MTU 1500: the MTU less the
// IP and TCP headers (RFC 9293 3.7.1; 40 bytes of IPv6 header, RFC 8200).
func wantMSS(h *Host) uint16 {
	if h.Addr().Is6() {
		return 1500 - 40 - 20
	}
	return 1500 - 20 - 20
}

// openHost opens a Host or skips the test when this machine cannot make one,
// and closes it (checking for leaked goroutines) when the test ends.
func openHost(t *testing.T, cfg Config) *Host {
	t.Helper()
	before := runtime.NumGoroutine()
	h, err := Open(cfg)
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		checkNoGoroutineLeak(t, before)
	})
	return h
}

// checkNoGoroutineLeak waits briefly for goroutines to wind down (a closed
// poller's waiter returns asynchronously) and fails if more remain than
// before.
func checkNoGoroutineLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutines: %d after Close, %d before\n%s",
				runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// segment builds an IPv4+TCP packet from the harness to the Host.
func segment(t *testing.T, h *Host, sport, dport uint16, seq, ack seqnum.Value, flags packet.Flags, opts packet.Options, payload []byte) []byte {
	t.Helper()
	return segmentFrom(t, harnessAddr(h), h, sport, dport, seq, ack, flags, opts, payload)
}

// segmentFrom is segment from any source address.
func segmentFrom(t *testing.T, src netip.Addr, h *Host, sport, dport uint16, seq, ack seqnum.Value, flags packet.Flags, opts packet.Options, payload []byte) []byte {
	t.Helper()
	p := packet.Packet{
		IP: packet.IP{TTL: 64, DontFragment: true, Src: src, Dst: h.Addr()},
		TCP: packet.Segment{
			SrcPort: sport, DstPort: dport, Seq: seq, Ack: ack,
			Flags: flags, Window: 65535, Options: opts, Payload: payload,
		},
	}
	return p.Encode(packet.Illegal{})
}

// send writes pkt to the TUN.
func send(t *testing.T, h *Host, pkt []byte) {
	t.Helper()
	if err := h.WritePacket(pkt); err != nil {
		t.Fatalf("WritePacket: %v", err)
	}
}

// expectTimeout bounds every wait for the kernel: generous, because it is
// only reached when something is wrong.
const expectTimeout = 5 * time.Second

// expect reads the next packet from the kernel and parses it; Parse checks
// both checksums, so a packet with a bad one fails here.
func expect(t *testing.T, h *Host) packet.Packet {
	t.Helper()
	return expectTo(t, h, harnessAddr(h))
}

// expectTo is expect for a packet to dst.
func expectTo(t *testing.T, h *Host, dst netip.Addr) packet.Packet {
	t.Helper()
	b, err := h.ReadPacket(expectTimeout)
	if err != nil {
		t.Fatalf("ReadPacket: %v", err)
	}
	p, err := packet.Parse(b)
	if err != nil {
		t.Fatalf("the kernel sent a packet Parse rejects: %v (% x)", err, b)
	}
	if p.IP.Src != h.Addr() || p.IP.Dst != dst {
		t.Fatalf("packet %v -> %v, want %v -> %v", p.IP.Src, p.IP.Dst, h.Addr(), dst)
	}
	return p
}

// expectNothing checks that the kernel sends nothing for a while. It is a
// real-time wait, used only to assert an absence after the fact.
func expectNothing(t *testing.T, h *Host, d time.Duration) {
	t.Helper()
	if b, err := h.ReadPacket(d); err == nil {
		p, _ := packet.Parse(b)
		t.Fatalf("unexpected packet from the kernel: %v", &p.TCP)
	}
}
