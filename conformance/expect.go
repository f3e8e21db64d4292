package conformance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// The segment checks, re-exported so scenarios read without a package
// prefix on every line.
var (
	Flags        = harness.Flags
	FlagsInclude = harness.FlagsInclude
	FlagsExclude = harness.FlagsExclude
	Seq          = harness.Seq
	Ack          = harness.Ack
	Len          = harness.Len
	MaxLen       = harness.MaxLen
	Window       = harness.Window
	HasMSS       = harness.HasMSS
	Intact       = harness.Intact
	FateIs       = harness.FateIs
	HasData      = harness.HasData
)

// Control-bit shorthands.
const (
	SYN = packet.SYN
	ACK = packet.ACK
	FIN = packet.FIN
	RST = packet.RST
	PSH = packet.PSH
)

// Seg is the expectation for one packet: its direction plus field checks.
type Seg []harness.SegCheck

// C2S expects a packet from the client to the server.
func C2S(checks ...harness.SegCheck) Seg {
	return append(Seg{harness.SentBy(harness.Client)}, checks...)
}

// S2C expects a packet from the server to the client.
func S2C(checks ...harness.SegCheck) Seg {
	return append(Seg{harness.SentBy(harness.Server)}, checks...)
}

func (s Seg) String() string { return harness.DescribeChecks(s) }

// Mark is the trace position now; expectations about "what crossed since"
// take it.
func (e *Env) Mark() int { return len(e.Net.Trace().Records) }

// Since is every record from mark on that a stack sent: the packets a
// scenario injected (Record.Injected) are in the trace and the capture,
// not among what the stacks did.
func (e *Env) Since(mark int) []*harness.Record {
	all := e.Net.Trace().Since(mark)
	out := make([]*harness.Record, 0, len(all))
	for _, r := range all {
		if !r.Injected {
			out = append(out, r)
		}
	}
	return out
}

// ExpectExactly drains the wire, then checks that the packets that crossed
// since mark are exactly segs, one for one, in order.
func (e *Env) ExpectExactly(mark int, segs ...Seg) {
	e.Drain()
	got := e.Since(mark)
	var problem string
	for i, want := range segs {
		if i >= len(got) {
			problem = fmt.Sprintf("packet %d missing", i+1)
			break
		}
		if err := harness.CheckRecord(got[i], want...); err != nil {
			problem = fmt.Sprintf("packet %d (#%d): %v", i+1, got[i].Index, err)
			break
		}
	}
	if problem == "" && len(got) > len(segs) {
		problem = fmt.Sprintf("%d more packet(s) than expected", len(got)-len(segs))
	}
	if problem != "" {
		e.lnetoSentUnaskedFIN(got)
		e.Fail(DescribeSegs("exactly these packets since #"+fmt.Sprint(mark), segs), problem+"\n"+DescribeRecords(got))
	}
}

// ExpectInOrder drains the wire, then checks that segs appear among the
// packets since mark, in order, others allowed between them. It returns the
// matching records.
func (e *Env) ExpectInOrder(mark int, segs ...Seg) []*harness.Record {
	e.Drain()
	got := e.Since(mark)
	var matched []*harness.Record
	i := 0
	for _, r := range got {
		if i < len(segs) && harness.CheckRecord(r, segs[i]...) == nil {
			matched = append(matched, r)
			i++
		}
	}
	if i < len(segs) {
		e.Fail(DescribeSegs("these packets in order since #"+fmt.Sprint(mark), segs),
			fmt.Sprintf("no packet matched %d: %s\n%s", i+1, segs[i], DescribeRecords(got)))
	}
	return matched
}

// ExpectNoPackets checks that nothing crossed since mark.
func (e *Env) ExpectNoPackets(mark int, why string) {
	if got := e.Since(mark); len(got) > 0 {
		e.Fail("no packets ("+why+")", DescribeRecords(got))
	}
}

// ExpectCleanStreams checks the sequence arithmetic of every packet since
// mark, for a wire that lost nothing: in each direction every segment starts
// where the previous ones ended (SYN and FIN count one, a bare ACK none), so
// there are no holes, and data sent again is a copy of what went before
// (whether it should have been resent at all the cell's judge decides, as
// for every resend on a clean wire, judgeCell; on a run whose wire lost
// something, or with a raw end, no copy is taken); and at the end each direction
// has acknowledged everything the other sent, once a delayed ACK still due
// (RFC 9293 3.8.6.3: within 0.5 s; lwIP's goes on its 250 ms timer) has
// had DelayedACKWait to go out.
func (e *Env) ExpectCleanStreams(mark int) {
	e.Drain()
	// The judge rules on copies only where the whole run's wire is clean
	// and both ends keep state; elsewhere a copy fails here.
	judged := judge.CleanWire(e.Net.Trace().Records) && !e.Net.KeepsNoState(harness.Client) && !e.Net.KeepsNoState(harness.Server)
	expected, got, unacked := cleanStreams(e.Since(mark), judged)
	if unacked {
		e.Advance(DelayedACKWait)
		expected, got, _ = cleanStreams(e.Since(mark), judged)
	}
	if expected != "" {
		e.Fail(expected, got)
	}
}

// cleanStreams is ExpectCleanStreams's check of recs: what was expected
// and what came, "" if all is well; unacked says the one fault is an
// acknowledgment still missing.
func cleanStreams(recs []*harness.Record, copiesJudged bool) (expected, got string, unacked bool) {
	type stream struct {
		next    uint32
		started bool
		lastAck uint32
		Acked   bool
	}
	var dirs [2]stream
	for _, r := range recs {
		d := &dirs[r.Dir]
		if r.Packet.TCP.Flags.Has(RST) {
			continue
		}
		if copiesJudged && d.started && r.PayloadLen > 0 && seqnum.Value(r.RelSeq).LessThan(seqnum.Value(d.next)) &&
			!seqnum.Value(d.next).LessThan(seqnum.Value(r.RelSeq).Add(seqnum.Size(r.SegLen()))) {
			// A copy of data already sent, no hole: whether a timer had
			// the right to resend it on a wire that lost nothing is the
			// judge's to say (judge_cell.go: the RFC 6298 floor, the
			// receiver's delayed ACK, a registered RTO floor).
			continue
		}
		if d.started && r.RelSeq != d.next {
			return "each segment to start where the last ended",
				fmt.Sprintf("#%d %s starts at seq %d, the stream was at %d\n%s", r.Index, r.Dir, r.RelSeq, d.next, DescribeRecords(recs)), false
		}
		d.started = true
		d.next = r.RelSeq + uint32(r.SegLen())
		if r.Packet.TCP.Flags.Has(ACK) {
			d.lastAck, d.Acked = r.RelAck, true
		}
	}
	for dir := range dirs {
		other := &dirs[1-dir]
		if other.started && dirs[dir].Acked && dirs[dir].lastAck != other.next {
			return fmt.Sprintf("%s to acknowledge everything up to %d", harness.Dir(dir), other.next),
				fmt.Sprintf("its last ack was %d\n%s", dirs[dir].lastAck, DescribeRecords(recs)), true
		}
	}
	return "", "", false
}

// ExpectStates checks the whole sequence of states c's end went through, as
// the stack reported them: the state it started from, then each it entered.
func (e *Env) ExpectStates(c harness.Conn, want ...harness.State) {
	side := e.Side(c)
	e.Settle()
	// A Linux end's TIME-WAIT is observed, not waited out (linux_timewait.go).
	want = e.timeWaitUnfinished(c, want)
	got := e.Net.States(side, c.ID())
	if !slices.Equal(got, want) {
		e.lnetoAbortedOnUnacceptable()
		e.Fail(fmt.Sprintf("%s states %s", side, FormatStates(want)),
			fmt.Sprintf("%s states %s\n%s", side, FormatStates(got), formatHistory(e.Net.History(side, c.ID()))))
	}
}

// ExpectState checks c's current state, read from the stack.
func (e *Env) ExpectState(c harness.Conn, want harness.State) {
	if got := c.State(); got != want {
		e.lnetoAbortedOnUnacceptable()
		e.lnetoLeftHalfClose(c, want)
		e.Fail(fmt.Sprintf("%s in %v", e.Side(c), want), fmt.Sprintf("%s in %v", e.Side(c), got))
	}
}

// EnteredAt is the virtual time c's end last entered state st; it fails if
// c never did.
func (e *Env) EnteredAt(c harness.Conn, st harness.State) time.Duration {
	side := e.Side(c)
	h := e.Net.History(side, c.ID())
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].To == st {
			return h[i].At
		}
	}
	e.Fail(fmt.Sprintf("%s to enter %v", side, st), fmt.Sprintf("%s went %s", side, FormatStates(e.Net.States(side, c.ID()))))
	return 0
}

func FormatStates(s []harness.State) string {
	if len(s) == 0 {
		return "(none reported)"
	}
	parts := make([]string, len(s))
	for i, st := range s {
		parts[i] = st.String()
	}
	return strings.Join(parts, " -> ")
}

func formatHistory(h []harness.StateChange) string {
	var b strings.Builder
	for _, c := range h {
		fmt.Fprintf(&b, "  at %v: %v -> %v\n", c.At, c.From, c.To)
	}
	return b.String()
}

func DescribeSegs(title string, segs []Seg) string {
	var b strings.Builder
	b.WriteString(title + ":")
	for i, s := range segs {
		fmt.Fprintf(&b, "\n  %d. %s", i+1, s)
	}
	return b.String()
}

// describeRecords lists records as the trace prints them, with relative
// sequence numbers counted from each direction's ISN.
func DescribeRecords(recs []*harness.Record) string {
	if len(recs) == 0 {
		return "(no packets)"
	}
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "  #%d %s [%s] seq=%d ack=%d len=%d %s\n", r.Index, r.Dir, r.Packet.TCP.Flags, r.RelSeq, r.RelAck, r.PayloadLen, r.Fate)
	}
	return strings.TrimRight(b.String(), "\n")
}
