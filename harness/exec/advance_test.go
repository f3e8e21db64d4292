package exec

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// lwipStack is the Options of lwIP's adapter, which make lwip builds; the
// test is skipped without it.
func lwipStack(t testing.TB) Options {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "peers", "lwip", "tcpbed-lwip"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no lwIP adapter (make lwip builds it): %v", err)
	}
	return Options{Command: []string{path}}
}

// idle connects the exec stack (client) to gVisor, lets idle of virtual
// time pass with keep-alives every ten minutes (when keepAlive is set),
// then sends a line each way. It returns the trace, with both ends'
// states, and how many requests the exec stack was sent.
func idle(t *testing.T, opts Options, idle time.Duration, keepAlive bool) (trace string, requests int) {
	t.Helper()
	n, c, s := connected(t, harness.Config{Seed: 11}, opts)
	if keepAlive {
		if err := harness.SetKeepAlive(c, net.KeepAliveConfig{Enable: true, Idle: 10 * time.Minute, Interval: 75 * time.Second, Count: 9}); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Advance(idle); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []struct{ from, to harness.Conn }{{c, s}, {s, c}} {
		if _, err := dir.from.Write([]byte("ping\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		if err := n.RunUntil("read", time.Minute, func() bool {
			k, _ := dir.to.Read(buf)
			return k > 0
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n.Trace().Format(&b, harness.FormatOptions{Absolute: true, StateChanges: true})
	fmt.Fprintf(&b, "ends at %v\n", n.Now())
	return b.String(), n.Client().(*peer).requests
}

// Three idle hours over lwIP, whose timers tick every 250 ms: one
// request per tick were 43,200 round trips; running ahead
// (ADVANCE_UNTIL) they are a handful.
func TestThreeIdleHoursOverLwIPTakeFewRoundTrips(t *testing.T) {
	_, requests := idle(t, lwipStack(t), 3*time.Hour, false)
	if requests > 50 {
		t.Errorf("%d requests to lwIP for three idle hours, want a handful", requests)
	}
}

// A peer on real time in the Net (Linux; here gVisor served on real time)
// does not stop lwIP running ahead: its timers are on the clock like any
// other. One round trip per tick let three idle hours take 43,200 of
// them, and so long in real time that Linux's own timers fired meanwhile.
func TestThreeIdleHoursBesideAStackOnRealTimeTakeFewRoundTrips(t *testing.T) {
	n, _, _ := connected(t, harness.Config{Seed: 11, Server: NewPeer(testStack("--real-time"))}, lwipStack(t))
	before := n.Client().(*peer).requests
	if err := n.Advance(3 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if requests := n.Client().(*peer).requests - before; requests > 50 {
		t.Errorf("%d requests to lwIP for three idle hours beside a stack on real time, want a handful", requests)
	}
}

// Running ahead is a pure speed-up: with keep-alives on (lwIP's timers do
// something every ten minutes of the idle hour) the trace is the one a
// request per timer gives, packet for packet, instant for instant, and
// state change for state change.
func TestRunningAheadChangesNoPacketNorInstant(t *testing.T) {
	opts := lwipStack(t)
	ahead, fewer := idle(t, opts, time.Hour, true)
	opts.OneTimerAtATime = true
	oneByOne, more := idle(t, opts, time.Hour, true)
	if ahead != oneByOne {
		t.Fatalf("running ahead changed the run:\n%s\none timer at a time:\n%s", ahead, oneByOne)
	}
	if !strings.Contains(ahead, "600.") {
		t.Errorf("no keep-alive 10 minutes in:\n%s", ahead)
	}
	if fewer*100 > more {
		t.Errorf("%d requests running ahead, %d one timer at a time: want a hundredth at most", fewer, more)
	}
	t.Logf("%d requests running ahead, %d one timer at a time", fewer, more)
}
