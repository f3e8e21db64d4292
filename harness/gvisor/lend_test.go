package gvisor

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// TestEveryLentBufferComesBack: the wire writes every packet bound for a
// gVisor end into a view that end lends (harness.BufferLender), and gives
// each back, delivered or lost. After a transfer over a wire that drops and
// duplicates some of them, with nothing left on the wire, no view is still
// lent, and the data arrived whole.
func TestEveryLentBufferComesBack(t *testing.T) {
	n, err := harness.NewNet(harness.Config{
		Seed: 3, Client: NewPeer(Options{}), Server: NewPeer(Options{}),
		Faults: []*harness.Rule{
			{Name: "drop", Probability: 0.05, Action: harness.Drop},
			{Name: "duplicate", Probability: 0.05, Action: harness.Duplicate},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c, s, _, err := n.Connect(80, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("lent "), 40_000)
	var got []byte
	sent := 0
	buf := make([]byte, 64<<10)
	if err := n.RunUntil("the data across", time.Hour, func() bool {
		if sent < len(want) {
			k, _ := c.Write(want[sent:])
			sent += k
		}
		for {
			k, err := s.Read(buf)
			got = append(got, buf[:k]...)
			if k == 0 || errors.Is(err, harness.ErrWouldBlock) || err != nil {
				break
			}
		}
		return len(got) >= len(want)
	}); err != nil {
		t.Fatal(err)
	}
	if err := n.Drain(time.Minute); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%d bytes arrived, not the %d sent", len(got), len(want))
	}
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		p := n.Peer(side).(*gvisorPeer)
		if len(p.lent) != 0 {
			t.Errorf("%s: %d views still lent with nothing on the wire", side, len(p.lent))
		}
	}
}

// tcpHeadersLen finds where a TCP segment's payload begins, over IPv4
// with options and over IPv6, and declines what it cannot split: a later
// fragment, an ICMP error, an IPv6 extension header, a TCP header cut
// short. A first fragment holds the whole TCP header, and splits as any
// segment does.
func TestTCPHeadersLen(t *testing.T) {
	v4 := func(ihl int, proto byte, frag uint16, tcpOff byte, payload int) []byte {
		b := make([]byte, ihl*4+20+payload)
		b[0] = 0x40 | byte(ihl)
		b[2], b[3] = byte(len(b)>>8), byte(len(b))
		b[6], b[7] = byte(frag>>8), byte(frag)
		b[9] = proto
		b[ihl*4+12] = tcpOff << 4
		return b
	}
	v6 := func(next byte, tcpOff byte, payload int) []byte {
		b := make([]byte, 40+20+payload)
		b[0] = 0x60
		b[4], b[5] = byte((len(b)-40)>>8), byte(len(b)-40)
		b[6] = next
		b[40+12] = tcpOff << 4
		return b
	}
	cut := v4(5, 6, 0, 5, 0)[:30]
	cut[3] = 30 // a total length that holds together, with 10 bytes of TCP
	for _, tc := range []struct {
		name string
		pkt  []byte
		want int
	}{
		{"IPv4, no options", v4(5, 6, 0, 5, 100), 40},
		{"IPv4 options, TCP options", v4(6, 6, 0, 8, 100), 24 + 32},
		{"IPv4 with Don't Fragment", v4(5, 6, 0x4000, 5, 100), 40},
		{"IPv4 first fragment, more to come", v4(5, 6, 0x2000, 5, 100), 40},
		{"IPv4 fragment, not the first", v4(5, 6, 0x0010, 5, 100), 0},
		{"IPv4 ICMP", v4(5, 1, 0, 5, 100), 0},
		{"IPv6", v6(6, 5, 100), 60},
		{"IPv6 extension header", v6(0, 5, 100), 0},
		{"IPv4 cut in the TCP header", cut, 0},
	} {
		if got := tcpHeadersLen(tc.pkt); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
