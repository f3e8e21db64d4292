package exec

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
)

// bulkInto sends 4 MiB from gVisor to the exec stack and back, and
// returns the trace, with both ends' states, and how many requests the
// exec stack was sent. gVisor sends its segments at one instant: the
// wire hands them over in bursts. The trace ends with the order of every
// send and arrival.
func bulkInto(t *testing.T, opts Options, mtu int) (trace string, requests int) {
	t.Helper()
	n, c, s := connected(t, harness.Config{Seed: 4, MTU: mtu}, opts)
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	buf := make([]byte, 64<<10)
	for _, dir := range []struct{ from, to harness.Conn }{{s, c}, {c, s}} {
		sent, got := 0, 0
		if err := n.RunUntil("the transfer", time.Minute, func() bool {
			k, _ := dir.from.Write(data[sent:])
			sent += k
			for got < len(data) {
				if k, _ = dir.to.Read(buf); k == 0 {
					break
				}
				got += k
			}
			return got == len(data)
		}); err != nil {
			t.Fatalf("%v: sent %d, got %d\n%s", err, sent, got, n.Trace())
		}
	}
	var b strings.Builder
	n.Trace().Format(&b, harness.FormatOptions{Absolute: true, StateChanges: true})
	// The order of sends and arrivals at one instant: what the stack had
	// taken in when it sent each packet.
	for _, ev := range harness.Events(n.Trace().Records) {
		if ev.Arrival {
			fmt.Fprintf(&b, "<%d ", ev.Rec.Index)
		} else {
			fmt.Fprintf(&b, ">%d ", ev.Rec.Index)
		}
	}
	return b.String(), n.Client().(*peer).requests
}

// Bursts are a pure speed-up: the stack takes the packets of a burst in
// one PACKETS as it takes them one PACKET at a time, so the trace is the
// same, packet for packet, instant for instant, state change for state
// change; and the requests are fewer.
func TestBurstsChangeNoPacketNorInstant(t *testing.T) {
	stacks := map[string]func(testing.TB) Options{
		"served gVisor": func(testing.TB) Options { return testStack() },
		"lwIP":          lwipStack,
	}
	for name, stack := range stacks {
		for _, tc := range []struct {
			name  string
			mtu   int
			frame int // burstFrame
		}{
			{"MTU 1500", 1500, peerproto.MaxFrame},
			{"MTU 65535", 65535, peerproto.MaxFrame},
			// A burst more than a frame holds goes in several PACKETS.
			{"MTU 1500, four packets a frame", 1500, 6000},
		} {
			t.Run(name+", "+tc.name, func(t *testing.T) {
				burstFrame = tc.frame
				defer func() { burstFrame = peerproto.MaxFrame }()
				opts := stack(t)
				bursts, fewer := bulkInto(t, opts, tc.mtu)
				opts.OnePacketAtATime = true
				oneByOne, more := bulkInto(t, opts, tc.mtu)
				if bursts != oneByOne {
					t.Fatalf("bursts changed the run:\n%s\none packet at a time:\n%s", bursts, oneByOne)
				}
				if tc.mtu == 1500 && fewer*3 > more*2 {
					t.Errorf("%d requests in bursts, %d one packet at a time: want a third fewer at least", fewer, more)
				}
				t.Logf("%d requests in bursts, %d one packet at a time", fewer, more)
			})
		}
	}
}
