// Package ladder draws a run's trace as a ladder diagram: two vertical lines,
// one per end, the states each end passes through written down its line, and
// one slanted arrow per segment labelled with its flags, seq, ack and length.
// It writes the diagram as SVG, or as a Mermaid sequence diagram for pasting
// into Markdown. Both are drawn from one layout, Build's Diagram.
package ladder

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// DefaultMaxPackets bounds how many segments a diagram draws: a 16 MiB
// transfer has tens of thousands, and a ladder is for reading.
const DefaultMaxPackets = 60

// Options choose how a diagram is drawn.
type Options struct {
	// Client and Server name the two ends ("client (ours)").
	Client, Server string
	// Absolute labels segments with absolute sequence numbers instead of
	// the RFC's symbolic ones (x for the client's ISN, y for the server's).
	Absolute bool
	// MaxPackets bounds the segments drawn (default DefaultMaxPackets): a
	// longer trace shows its opening, its end and the segments around every
	// SYN, FIN and RST; each run left out is summarized in one line.
	MaxPackets int
}

// Arrow is one segment on the diagram.
type Arrow struct {
	Record *harness.Record
	// From is the sending side; SentRow and ArrivedRow are the rows the
	// arrow starts and ends on (ArrivedRow is -1 for a segment that never
	// arrived: it ends half-way in a cross).
	From                harness.Side
	SentRow, ArrivedRow int
	Label               string
}

// StateMark is one state change written beside an end's line.
type StateMark struct {
	Side  harness.Side
	Row   int
	State harness.State
	// Conn names the connection when the trace holds more than one.
	Conn string
}

// Bracket is a TIME-WAIT period drawn beside an end's line.
type Bracket struct {
	Side           harness.Side
	FromRow, ToRow int
	Duration       time.Duration
	Open           bool // the run ended before TIME-WAIT did
}

// Gap is a long stretch of virtual time with nothing on the wire, drawn as
// a break in both lines.
type Gap struct {
	AfterRow int
	Duration time.Duration
}

// Diagram is the laid-out ladder: rows top to bottom, each row one event
// (a segment sent, a segment arriving, a state change) at its virtual time.
type Diagram struct {
	Options  Options
	RowTimes []time.Duration
	Arrows   []Arrow
	States   []StateMark
	Brackets []Bracket
	Gaps     []Gap
	// Omissions are the runs of segments a long trace leaves out, and
	// Omitted how many segments they hold in all.
	Omissions []Omission
	Omitted   int
}

// Omission is a run of consecutive segments not drawn.
type Omission struct {
	Row       int
	Count     int
	From, To  time.Duration // when the first and the last of them were sent
	lastIndex int
}

func (d *Diagram) elided(at time.Duration) bool {
	for _, o := range d.Omissions {
		if at > o.From && at < o.To {
			return true
		}
	}
	return false
}

// keep chooses the segments a diagram of a long trace draws: the opening,
// the end, and every segment with SYN, FIN or RST with a few on either side
// (the handshake, the close and any reset are what a ladder is read for;
// the bulk of a transfer in between is not).
func keep(all []*harness.Record, max int) []bool {
	kept := make([]bool, len(all))
	if len(all) <= max {
		for i := range kept {
			kept[i] = true
		}
		return kept
	}
	mark := func(from, to int) {
		for i := from; i < to; i++ {
			if i >= 0 && i < len(all) {
				kept[i] = true
			}
		}
	}
	mark(0, max/3)
	mark(len(all)-max/6, len(all))
	for i, r := range all {
		if r.Packet.TCP.Flags&(packet.SYN|packet.FIN|packet.RST) != 0 {
			mark(i-2, i+4)
		}
	}
	return kept
}

// event kinds, in the order events at one instant are drawn: a segment
// arrives, the receiver changes state, then it answers.
const (
	evArrive = iota
	evState
	evSend
	evOmit // where the elided middle of a long trace would be
)

type event struct {
	at       time.Duration
	kind     int
	order    int // trace order, to keep ties stable
	arrow    int // index into Arrows (evSend, evArrive)
	state    int // index into States (evState)
	omission int // index into Omissions (evOmit)
}

// GapThreshold is the quiet time beyond which the diagram breaks its lines
// rather than pretending the arrows were close together.
const GapThreshold = 500 * time.Millisecond

// Build lays out the diagram of trace t.
func Build(t *harness.Trace, opts Options) *Diagram {
	if opts.MaxPackets <= 0 {
		opts.MaxPackets = DefaultMaxPackets
	}
	if opts.Client == "" {
		opts.Client = "client"
	}
	if opts.Server == "" {
		opts.Server = "server"
	}
	d := &Diagram{Options: opts}
	kept := keep(t.Records, opts.MaxPackets)
	var events []event
	var elided []Omission
	for i, r := range t.Records {
		if !kept[i] {
			if n := len(elided); n > 0 && elided[n-1].lastIndex == i-1 {
				elided[n-1].Count++
				elided[n-1].lastIndex, elided[n-1].To = i, r.At
			} else {
				elided = append(elided, Omission{Count: 1, From: r.At, To: r.At, lastIndex: i})
			}
			continue
		}
		a := len(d.Arrows)
		d.Arrows = append(d.Arrows, Arrow{Record: r, From: r.Dir.From(), ArrivedRow: -1, Label: Label(r, opts.Absolute)})
		events = append(events, event{at: r.At, kind: evSend, order: i, arrow: a})
		if arrived(r) {
			events = append(events, event{at: r.Arrived, kind: evArrive, order: i, arrow: a})
		}
	}
	for i, o := range elided {
		d.Omitted += o.Count
		d.Omissions = append(d.Omissions, o)
		events = append(events, event{at: o.From, kind: evOmit, order: o.lastIndex, omission: i})
	}
	multi := connections(t.Changes) > 1
	for i, c := range t.Changes {
		if d.elided(c.At) {
			continue // it happened while elided segments were on the wire
		}
		conn := ""
		if multi && c.ID.RemotePort != 0 {
			conn = fmt.Sprintf(":%d", c.ID.LocalPort)
		}
		d.States = append(d.States, StateMark{Side: c.Side, State: c.To, Conn: conn})
		events = append(events, event{at: c.At, kind: evState, order: i, state: len(d.States) - 1})
	}
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if a.at != b.at {
			return a.at < b.at
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		return a.order < b.order
	})
	for row, ev := range events {
		if row > 0 && ev.at-events[row-1].at >= GapThreshold {
			d.Gaps = append(d.Gaps, Gap{AfterRow: row - 1, Duration: ev.at - events[row-1].at})
		}
		d.RowTimes = append(d.RowTimes, ev.at)
		switch ev.kind {
		case evSend:
			d.Arrows[ev.arrow].SentRow = row
		case evArrive:
			d.Arrows[ev.arrow].ArrivedRow = row
		case evState:
			d.States[ev.state].Row = row
		case evOmit:
			d.Omissions[ev.omission].Row = row
		}
	}
	d.Brackets = timeWaitBrackets(d)
	return d
}

// arrived reports whether the segment reached the other end's TCP intact.
// A corrupted segment reaches the other end but its checksum has it
// dropped there, so its arrow ends in a cross like a lost one.
func arrived(r *harness.Record) bool {
	return !r.Fate.Lost() && r.Fate != harness.InFlight && r.Arrived >= r.At
}

func connections(changes []harness.StateChange) int {
	seen := map[harness.FourTuple]bool{}
	for _, c := range changes {
		if c.ID.RemotePort == 0 {
			continue // a listener, not a connection
		}
		id := c.ID
		if c.Side == harness.Server {
			id = id.Reverse()
		}
		seen[id] = true
	}
	return len(seen)
}

// timeWaitBrackets pairs each entry into TIME-WAIT with the change that
// ends it, per side and connection.
func timeWaitBrackets(d *Diagram) []Bracket {
	var out []Bracket
	for i, s := range d.States {
		if s.State != harness.TimeWait {
			continue
		}
		b := Bracket{Side: s.Side, FromRow: s.Row, ToRow: len(d.RowTimes) - 1, Open: true}
		for _, next := range d.States[i+1:] {
			if next.Side == s.Side && next.Conn == s.Conn {
				b.ToRow, b.Open = next.Row, false
				break
			}
		}
		b.Duration = d.RowTimes[b.ToRow] - d.RowTimes[b.FromRow]
		out = append(out, b)
	}
	return out
}

// Label is a segment's arrow label the way RFC drawings write it:
// "SYN seq=x", "SYN,ACK seq=y ack=x+1", "ACK seq=x+1 ack=y+1 len=100".
// With absolute set, the numbers are the ones on the wire.
func Label(r *harness.Record, absolute bool) string {
	seg := &r.Packet.TCP
	var b strings.Builder
	b.WriteString(FlagNames(seg.Flags))
	own, other := "x", "y"
	if r.Dir.From() == harness.Server {
		own, other = "y", "x"
	}
	if absolute {
		fmt.Fprintf(&b, " seq=%d", uint32(seg.Seq))
		if seg.Flags.Has(packet.ACK) {
			fmt.Fprintf(&b, " ack=%d", uint32(seg.Ack))
		}
	} else {
		fmt.Fprintf(&b, " seq=%s", symbolic(own, r.RelSeq))
		if seg.Flags.Has(packet.ACK) {
			fmt.Fprintf(&b, " ack=%s", symbolic(other, r.RelAck))
		}
	}
	if r.PayloadLen > 0 {
		fmt.Fprintf(&b, " len=%d", r.PayloadLen)
	}
	switch r.Fate {
	case harness.Dropped, harness.QueueDropped:
		b.WriteString(" (lost)")
	case harness.Corrupted:
		b.WriteString(" (corrupted)")
	case harness.Duplicated:
		b.WriteString(" (duplicate)")
	}
	return b.String()
}

func symbolic(base string, rel uint32) string {
	if rel == 0 {
		return base
	}
	return fmt.Sprintf("%s+%d", base, rel)
}

// FlagNames spells the control bits as RFC drawings do: "SYN,ACK".
func FlagNames(f packet.Flags) string {
	names := []struct {
		flag packet.Flags
		name string
	}{
		{packet.SYN, "SYN"}, {packet.FIN, "FIN"}, {packet.RST, "RST"}, {packet.PSH, "PSH"},
		{packet.ACK, "ACK"}, {packet.URG, "URG"}, {packet.ECE, "ECE"}, {packet.CWR, "CWR"},
	}
	var parts []string
	for _, n := range names {
		if f.Has(n.flag) {
			parts = append(parts, n.name)
		}
	}
	if len(parts) == 0 {
		return "(no flags)"
	}
	return strings.Join(parts, ",")
}

// FormatDuration prints a virtual duration the way the diagram labels it.
func FormatDuration(d time.Duration) string {
	// To the microsecond, as the trace prints times: below that are only the
	// clock ticks by which a timer fires late (harness.PeerClock).
	d = d.Round(time.Microsecond)
	switch {
	case d >= time.Second && d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	case d >= time.Second:
		return fmt.Sprintf("%.3f s", d.Seconds())
	case d%time.Millisecond == 0:
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	default:
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	}
}
