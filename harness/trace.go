package harness

import (
	"cmp"
	"slices"
	"time"

	"github.com/tcpbed/tcpbed/harness/packet"
)

// Fate is what became of a packet on the wire.
type Fate int

const (
	// Delivered: it reached the other end as sent.
	Delivered Fate = iota
	// Dropped by a fault rule.
	Dropped
	// QueueDropped: the link's queue was full (tail drop).
	QueueDropped
	// Corrupted: delivered with a bit flipped; the receiver must drop it.
	Corrupted
	// Duplicated: an extra copy a fault rule made; delivered.
	Duplicated
	// InFlight: not yet delivered (the run ended first).
	InFlight
	// TooBig: longer than the link's MTU; the link dropped it. (Longer
	// than Config.PathMTU with Don't Fragment set: the router dropped it
	// and sent back the ICMP error that follows it in the trace.)
	TooBig
	// Fragmented: longer than Config.PathMTU without Don't Fragment; the
	// router cut it into the fragments that follow it in the trace.
	Fragmented
)

func (f Fate) String() string {
	switch f {
	case Delivered:
		return "delivered"
	case Dropped:
		return "dropped"
	case QueueDropped:
		return "queue-drop"
	case Corrupted:
		return "corrupted"
	case Duplicated:
		return "duplicate"
	case InFlight:
		return "in-flight"
	case TooBig:
		return "too-big"
	case Fragmented:
		return "fragmented"
	}
	return "?"
}

// Lost reports whether the packet never reached the other end's TCP intact.
// A Fragmented packet counts as lost: what arrived was its fragments, each
// a packet of its own.
func (f Fate) Lost() bool {
	return f == Dropped || f == QueueDropped || f == Corrupted || f == TooBig || f == Fragmented
}

// Record is one packet that crossed the wire, as the trace keeps it.
type Record struct {
	// Index is the packet's place in the trace, from 0.
	Index int
	// Reached is set once the packet has been handed to the other end (it
	// may still have been corrupted on the way).
	Reached bool
	// At is when the packet left its sender (virtual time since Epoch);
	// Arrived is when it reached the other end (zero if it did not).
	At, Arrived time.Duration
	Dir         Dir
	// Packet is the parsed packet. Its TCP.Payload and IP.Options are nil:
	// the trace keeps headers, not data; PayloadLen is the data's length.
	Packet     packet.Packet
	PayloadLen int
	// RelSeq is the sequence number relative to the sender's ISN (the
	// sequence number of the last SYN it sent on this connection; the first
	// one seen if none), RelAck the acknowledgment number relative to the
	// receiver's. A SYN has RelSeq 0, the first data byte RelSeq 1.
	RelSeq, RelAck uint32
	// ParseErr is why the packet did not parse (a corrupted packet parses
	// with ErrTCPChecksum and a filled-in Packet).
	ParseErr error
	// ICMP is set for an ICMP error about a TCP segment (then ParseErr
	// says the packet is not TCP, and Packet holds only its IP header).
	ICMP *packet.ICMP
	// Len is the whole packet's length in bytes.
	Len int
	// TCPOptions are the raw option bytes, for printing them in wire order.
	TCPOptions []byte
	Fate       Fate
	// Injected is set for a packet a test handed straight to its receiver
	// (Net.Inject) as if from the other end: no stack sent it.
	Injected bool
	// HeldBack is set when a Delay or Reorder rule held the packet back:
	// it may arrive after packets sent later.
	HeldBack bool
	// Notes are the fault rules that touched the packet ("delay 5ms: hold").
	Notes []string
	// States are the client's and the server's state of this packet's
	// connection right after the receiver processed it (for a lost packet:
	// when it was lost). NoState for an end that keeps none (the raw peer).
	States [2]State

	order        uint64 // place among the trace's records and changes, as sent
	arrivedOrder uint64 // the same, as handed to its receiver (once Reached)
}

// ReachedBefore reports whether r had been handed to its receiver before s
// left its sender: exactly, by the order of the Net's events, whatever the
// virtual times (many events share one instant).
func (r *Record) ReachedBefore(s *Record) bool { return r.Reached && r.arrivedOrder < s.order }

// Event is one thing that happened to a record: it left its sender, or
// (Arrival) it was handed to its receiver.
type Event struct {
	Rec     *Record
	Arrival bool
}

func (e Event) order() uint64 {
	if e.Arrival {
		return e.Rec.arrivedOrder
	}
	return e.Rec.order
}

// Events are the sends of recs and the arrivals of those that reached
// their receiver, in the exact order the Net made them: what each end had
// been handed when it sent each packet, even at one virtual instant.
func Events(recs []*Record) []Event {
	out := make([]Event, 0, 2*len(recs))
	for _, r := range recs {
		out = append(out, Event{Rec: r})
		if r.Reached {
			out = append(out, Event{Rec: r, Arrival: true})
		}
	}
	slices.SortFunc(out, func(a, b Event) int { return cmp.Compare(a.order(), b.order()) })
	return out
}

// OrderByTime gives records built by hand (package tracetest) the event
// order a Net gives the records it makes, so that Events and
// CompareArrivals read them too: by virtual time, at one instant an arrival
// before a send, then by index. A record that arrived (Arrived > 0, a fate
// that delivers) is marked Reached.
func OrderByTime(recs []*Record) {
	type ev struct {
		at      time.Duration
		arrival bool
		r       *Record
	}
	var evs []ev
	for _, r := range recs {
		evs = append(evs, ev{at: r.At, r: r})
		if r.Arrived > 0 && !r.Fate.Lost() && r.Fate != InFlight {
			r.Reached = true
			evs = append(evs, ev{at: r.Arrived, arrival: true, r: r})
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		return cmp.Or(cmp.Compare(a.at, b.at), -cmp.Compare(boolInt(a.arrival), boolInt(b.arrival)), cmp.Compare(a.r.Index, b.r.Index))
	})
	for i, e := range evs {
		if e.arrival {
			e.r.arrivedOrder = uint64(i + 1)
		} else {
			e.r.order = uint64(i + 1)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CompareArrivals orders two records that reached their receivers by when
// they were handed over, for slices.SortFunc.
func CompareArrivals(a, b *Record) int { return cmp.Compare(a.arrivedOrder, b.arrivedOrder) }

// Seg is the packet's TCP segment, for matching.
func (r *Record) Seg() *packet.Segment { return &r.Packet.TCP }

// SegLen is the sequence space the segment occupies (data + SYN + FIN).
func (r *Record) SegLen() int {
	n := r.PayloadLen
	if r.Packet.TCP.Flags.Has(packet.SYN) {
		n++
	}
	if r.Packet.TCP.Flags.Has(packet.FIN) {
		n++
	}
	return n
}

// ConnID is the four-tuple of the packet's connection seen from side.
func (r *Record) ConnID(side Side) FourTuple {
	id := FourTuple{
		LocalAddr: r.Packet.IP.Src, LocalPort: r.Packet.TCP.SrcPort,
		RemoteAddr: r.Packet.IP.Dst, RemotePort: r.Packet.TCP.DstPort,
	}
	if side != r.Dir.From() {
		return id.Reverse()
	}
	return id
}

// Trace is every packet that crossed a Net's wire, once, in the order they
// were sent, plus every state change of both ends; or, for a Net built
// with a Config.TraceLimit, the last of them.
type Trace struct {
	Records []*Record
	Changes []StateChange
	// Forgotten counts the records a TraceLimit dropped from the front of
	// Records: Records[0] has Index Forgotten.
	Forgotten int
	// ForgottenChanges counts the changes it dropped from Changes.
	ForgottenChanges int
	// Sent counts every record in each direction, forgotten ones too.
	Sent [2]int
}

// Since returns the records from index i on (those still kept).
func (t *Trace) Since(i int) []*Record {
	i = max(i-t.Forgotten, 0)
	if i >= len(t.Records) {
		return nil
	}
	return t.Records[i:]
}

// record is the record whose Index is i, or nil if it is forgotten.
func (t *Trace) record(i int) *Record {
	if i -= t.Forgotten; i >= 0 && i < len(t.Records) {
		return t.Records[i]
	}
	return nil
}

// nextIndex is the Index of the next record.
func (t *Trace) nextIndex() int { return t.Forgotten + len(t.Records) }

// add appends r, then, if limit is set and twice that many are kept, drops
// all but the last limit: the trace keeps between limit and 2*limit
// records, at a constant cost per record.
func (t *Trace) add(r *Record, limit int) {
	t.Sent[r.Dir]++
	t.Records = append(t.Records, r)
	if limit > 0 && len(t.Records) >= 2*limit {
		t.Forgotten += len(t.Records) - limit
		t.Records = keepLast(t.Records, limit)
	}
}

// addChange is add for a state change.
func (t *Trace) addChange(c StateChange, limit int) {
	t.Changes = append(t.Changes, c)
	if limit > 0 && len(t.Changes) >= 2*limit {
		t.ForgottenChanges += len(t.Changes) - limit
		t.Changes = keepLast(t.Changes, limit)
	}
}

// keepLast moves the last k elements of s to its front and returns them,
// clearing the rest so that what was dropped can be collected.
func keepLast[T any](s []T, k int) []T {
	n := copy(s, s[len(s)-k:])
	clear(s[n:])
	return s[:n]
}
