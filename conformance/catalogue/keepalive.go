package catalogue

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

// The keepalive settings the scenario gives the client (RFC 1122 4.2.3.6:
// the idle interval "MUST be configurable", default no less than two
// hours; short here so the run stays short in virtual time too).
const (
	keepIdle     = 60 * time.Second
	keepInterval = 10 * time.Second
	keepCount    = 3
)

var _ = Register(
	// keepalive: an idle connection with keepalive on at the client (idle 60 s,
	// interval 10 s, count 3). Expected: the first probe goes 60 s after the
	// client last heard from the server, <SEQ=SND.NXT-1> with no data (or one
	// garbage octet) (RFC 1122 4.2.3.6), and the server ACKs it. Then the
	// server vanishes (everything dropped both ways): probes go 60 s after the
	// last ACK and every 10 s after, 3 in all; 10 s after the third the client
	// gives up: CLOSED, and Read returns ETIMEDOUT.
	Scenario{
		Name:         "keepalive",
		OnProfiles:   true,
		RealTime:     TooSlowForRealTime,
		RealTimeNote: "needs 60 s idle plus 3 probes 10 s apart of Linux's real-time keepalive timer",
		Section:      "keepalive",
		Summary:      "keepalive after 60 s idle: probes ACKed; once the peer vanishes, 3 probes, then ETIMEDOUT",
		RFCs:         []string{"RFC 1122 4.2.3.6", "RFC 9293 3.8.4"},
		Setup: func(s *Setup) {
			s.Patience = 10 * time.Minute
		},
		Run: runKeepalive,
	},
)

// isProbe reports whether r, sent by its end, is a keepalive probe of a
// stream whose next sequence number is sndNxt (relative): an ACK at
// SND.NXT-1 with no data or one garbage octet.
func isProbe(r *harness.Record, sndNxt uint32) bool {
	return r.Packet.TCP.Flags == ACK && r.RelSeq == sndNxt-1 && r.PayloadLen <= 1
}

func runKeepalive(e *Env) error {
	c, s := e.Connect()
	e.NoError(fmt.Sprintf("SetKeepAliveConfig on the client (idle %v, interval %v, count %d)", keepIdle, keepInterval, keepCount),
		harness.SetKeepAlive(c, net.KeepAliveConfig{Enable: true, Idle: keepIdle, Interval: keepInterval, Count: keepCount}))
	e.ExchangeSome(c, s)
	cNxt, _ := e.StreamEnd(harness.Client)
	sNxt, _ := e.StreamEnd(harness.Server)
	mark := e.Mark()

	// Phase 1: the connection idles until the client probes.
	clientProbes := func(from int) []*harness.Record {
		var out []*harness.Record
		for _, r := range e.SentBy(from, harness.Client) {
			if isProbe(r, cNxt) {
				out = append(out, r)
			}
		}
		return out
	}
	e.WaitFor("a keepalive probe from the client", func() bool { return len(clientProbes(mark)) > 0 })
	e.Drain()
	probe := clientProbes(mark)[0]
	// Nothing but probes (and their ACKs) crossed while the link was idle:
	// no data, no FIN.
	for _, r := range e.Since(mark) {
		if r.PayloadLen > 1 || r.Packet.TCP.Flags.Has(FIN|RST) {
			e.Fatalf("an idle connection", "#%d\n%s", r.Index, DescribeRecords(e.Since(mark)))
		}
	}
	// RFC 1122 4.2.3.6: "Keep-alive packets MUST only be sent when no data
	// or acknowledgement packets have been received for the connection
	// within an interval." The interval runs from the last segment the
	// client received; a probe from a server that probes too may or may
	// not count as one (Linux and ourstack do not count it, gVisor does).
	// A stack that checks its keep-alive timer on a periodic tick (lwIP's
	// 500 ms slow timer) probes at the first tick after the interval.
	tick := e.TimerTick(harness.Client)
	expectIdleBefore := func(probe *harness.Record, which string) {
		lastHeard, lastNonProbe := lastHeardBy(e.Since(0), harness.Client, probe, sNxt)
		switch {
		case judge.OnTick(probe.At, lastNonProbe+keepIdle, tick):
			e.Observe("%s probe %v after the last segment from the server", which, probe.At-lastNonProbe)
		case judge.OnTick(probe.At, lastHeard+keepIdle, tick):
			e.Observe("%s probe %v after the server's own probe", which, keepIdle)
		default:
			late := ""
			if tick > 0 {
				late = fmt.Sprintf(", or up to one %v timer tick later", tick)
			}
			e.Fatalf(fmt.Sprintf("the %s probe %v after the client last heard from the server (at %v, or %v counting only non-probes)%s", which, keepIdle, lastHeard, lastNonProbe, late),
				"it went at %v\n%s", probe.At, DescribeRecords(e.Since(mark)))
		}
	}
	expectIdleBefore(probe, "first")
	if probe.PayloadLen == 1 {
		e.Observe("the probe carried one garbage octet")
	}
	// The server answers the probe, which lies below its window, with an
	// ACK of where it is (RFC 9293 3.10.7.4, first check).
	var answer *harness.Record
	if e.PeerKind(harness.Server) == Lneto && probe.Arrived > 0 {
		e.Settle()
		if len(e.SentBy(probe.Index, harness.Server)) == 0 {
			e.EndAccepting(LnetoIgnoresKeepAliveProbes) // the client will count it dead: nothing more to check
		}
	}
	e.WaitFor("the server's ACK of the probe", func() bool {
		for _, r := range e.SentBy(probe.Index, harness.Server) {
			if r.At >= probe.Arrived && harness.CheckRecord(r, Flags(ACK), Seq(sNxt), Ack(cNxt), Len(0)) == nil {
				answer = r
				return true
			}
		}
		return false
	})
	e.WaitFor("the ACK to reach the client", func() bool { return answer.Arrived > 0 })
	e.ExpectState(c, harness.Established)

	// Phase 2: the server vanishes.
	vanish := e.Mark()
	e.Net.AddRule(&harness.Rule{Name: "server vanished", Action: harness.Drop})
	e.WaitFor("the client to give up on the vanished server", func() bool { return c.State() != harness.Established })
	deadAt := e.LastChangeAt(c)
	probes := clientProbes(vanish)
	if len(probes) != keepCount {
		e.Fatalf(fmt.Sprintf("%d unanswered probes before the client gives up", keepCount), "%d\n%s", len(probes), DescribeRecords(e.Since(vanish)))
	}
	sent := e.SentBy(vanish, harness.Client)
	for i, r := range sent {
		if i == len(sent)-1 && r.At == deadAt && harness.CheckRecord(r, append(Seg{e.ResetFlags(harness.Client)}, Seq(cNxt), Len(0))...) == nil {
			// Giving up is the connection's abort: RFC 9293 3.10.5's
			// reset <SEQ=SND.NXT><CTL=RST> may go with it (lwIP and
			// Linux send one), for a peer that may yet hear it.
			e.Observe("the client sent a RST (#%d) as it gave up", r.Index)
			continue
		}
		if !isProbe(r, cNxt) {
			e.Fatalf("only keepalive probes from the client while the server is gone", "#%d\n%s", r.Index, DescribeRecords(e.Since(vanish)))
		}
	}
	// The ACK of the last probe (or a probe of the server's, where that
	// counts) restarted the interval.
	expectIdleBefore(probes[0], "next")
	for i := 1; i < len(probes); i++ {
		if gap := probes[i].At - probes[i-1].At; !judge.OnTime(gap, keepInterval) {
			e.Fatalf(fmt.Sprintf("unanswered probes every %v", keepInterval), "probe %d came %v after the one before", i+1, gap)
		}
	}
	if want := probes[len(probes)-1].At + keepInterval; !judge.OnTime(deadAt, want) {
		e.Fatalf(fmt.Sprintf("the client to give up %v after its last probe, at %v", keepInterval, want), "at %v", deadAt)
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.Closed)

	buf := make([]byte, 8)
	if _, err := c.Read(buf); !errors.Is(err, syscall.ETIMEDOUT) {
		e.Fatalf("client Read to report the dead peer (ETIMEDOUT)", "Read returned %v", err)
	}
	return nil
}

var _ = Register(
	// keepalive-off-by-default: an idle connection with both stacks at their
	// defaults. Expected: keepalive is off (RFC 1122 4.2.3.6: "MUST default to
	// off"), so nothing at all crosses in three hours of idleness (past any
	// default idle time of two hours), and both ends stay ESTABLISHED.
	Scenario{
		Name:    "keepalive-off-by-default",
		Section: "keepalive",
		Summary: "three idle hours with both stacks at their defaults: keepalive off, nothing crosses",
		RFCs:    []string{"RFC 1122 4.2.3.6", "RFC 9293 3.8.4"},
		Run:     runKeepaliveOffByDefault,
	},
)

func runKeepaliveOffByDefault(e *Env) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	mark := e.Mark()
	e.Advance(3 * time.Hour)
	e.ExpectNoPackets(mark, "keepalive is off by default")
	e.ExpectState(c, harness.Established)
	e.ExpectState(s, harness.Established)
	// Still a working connection.
	e.WriteAll(c, []byte("after three hours"))
	e.ExpectRead(s, []byte("after three hours"))
	return nil
}

// lastHeardBy is when side last received a segment before probe left it,
// and the last that was not the other end's own keepalive probe (whose
// sequence number is its SND.NXT - 1, nxt - 1).
func lastHeardBy(recs []*harness.Record, side harness.Side, probe *harness.Record, nxt uint32) (lastHeard, lastNonProbe time.Duration) {
	for _, r := range recs {
		if r.Dir.To() != side || r.Fate != harness.Delivered || !r.ReachedBefore(probe) {
			continue
		}
		lastHeard = max(lastHeard, r.Arrived)
		if !isProbe(r, nxt) {
			lastNonProbe = max(lastNonProbe, r.Arrived)
		}
	}
	return lastHeard, lastNonProbe
}
