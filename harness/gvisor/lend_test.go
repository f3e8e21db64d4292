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
