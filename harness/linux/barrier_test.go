package linux

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness/packet"
)

// immediateACKs sends n one-byte segments on an established connection and
// counts how many Linux ACKed before WritePacket returned, looking at the
// queue without waiting at all.
func immediateACKs(t *testing.T, cfg Config, n int) int {
	h := openHost(t, cfg)
	c, e := establish(t, h, 8090)
	acked := 0
	for i := range n {
		e.sendData(t, h, []byte{byte(i)}, false)
		pkts, err := h.TakePackets()
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range pkts {
			p, err := packet.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if p.TCP.Flags == packet.ACK && p.TCP.Ack == e.sndNxt {
				acked++
			}
		}
	}
	// Everything arrived, whatever was ACKed when.
	buf := make([]byte, 2*n)
	if got, err := c.TryRead(buf); err != nil || got != n {
		t.Fatalf("TryRead: %d bytes, %v; want %d", got, err, n)
	}
	return acked
}

// With the quickack route (the default), Linux's answer to every segment is
// on the TUN by the time WritePacket returns: the barrier Settle and the
// harness rely on holds with no real-time wait.
func TestEverySegmentACKedBeforeWriteReturns(t *testing.T) {
	const n = 40
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			if got := immediateACKs(t, f.cfg, n); got != n {
				t.Fatalf("%d of %d segments ACKed before WritePacket returned, want all", got, n)
			}
		})
	}
}

// The control: with Linux's delayed ACKs kept, past its first quick ACKs
// (at most 16) some ACKs wait for the delayed-ACK timer (40 ms at least), so
// fewer than n are there at once. This shows the previous test can fail.
func TestDelayedACKControl(t *testing.T) {
	const n = 40
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			cfg := f.cfg
			cfg.DelayedACK = true
			if got := immediateACKs(t, cfg, n); got >= n {
				t.Fatalf("%d of %d segments ACKed at once with delayed ACKs on; the quickack test proves nothing", got, n)
			} else {
				t.Logf("delayed ACKs on: %d of %d ACKed at once", got, n)
			}
		})
	}
}
