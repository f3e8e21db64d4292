package ourstack

import (
	"bytes"
	"testing"
	"time"
)

// Same seed, same run: a scenario played twice puts the same bytes on the
// wire in the same order, ISNs and ports included, down to the RSTs a
// Stack.Close sends to several peers at once.
func TestSameSeedSameRun(t *testing.T) {
	play := func() [][]byte {
		n := newTestNet(t)
		client := n.stack(clientIP, nil)
		server := n.stack(serverIP, nil)
		l, err := server.Listen(80, 0)
		if err != nil {
			t.Fatal(err)
		}
		var conns []*Conn
		for range 5 {
			c, err := client.Connect(server80)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		n.link.pump()
		for i, c := range conns {
			c.TryWrite(bytes.Repeat([]byte{byte(i)}, 3000))
		}
		n.link.pump()
		n.clock.Advance(time.Second) // delayed ACKs
		n.link.pump()
		// Accept all five, so that Stack.Close (not the listener's close)
		// is what resets the four left open.
		var accepted []*Conn
		for range conns {
			sc, err := l.TryAccept()
			if err != nil {
				t.Fatal(err)
			}
			accepted = append(accepted, sc)
		}
		accepted[2].Close()
		n.link.pump()
		server.Close() // RSTs to the other four
		n.link.pump()
		return n.link.all
	}
	a, b := play(), play()
	if len(a) != len(b) {
		t.Fatalf("first run sent %d packets, second %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("packet %d differs between runs:\n%x\n%x", i, a[i], b[i])
		}
	}
	if len(a) < 30 {
		t.Errorf("only %d packets: the scenario did not run", len(a))
	}
}
