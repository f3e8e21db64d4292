package harness

import (
	"fmt"
	"time"

	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// Action is what a fault rule does to a packet.
type Action int

const (
	// Drop loses the packet.
	Drop Action = iota
	// Duplicate delivers the packet and then an identical copy.
	Duplicate
	// Delay adds Rule.Delay to the packet's trip, so that later packets may
	// overtake it.
	Delay
	// Reorder holds the packet back until the next packet in the same
	// direction has gone (or Rule.Delay has passed, default 10 ms), then
	// sends it.
	Reorder
	// Corrupt flips one bit of the TCP header or payload after the checksums
	// were computed, so the receiver must drop it.
	Corrupt
)

func (a Action) String() string {
	switch a {
	case Drop:
		return "drop"
	case Duplicate:
		return "duplicate"
	case Delay:
		return "delay"
	case Reorder:
		return "reorder"
	case Corrupt:
		return "corrupt"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Dirs selects directions for a rule.
type Dirs int

const (
	BothDirs Dirs = iota
	OnlyClientToServer
	OnlyServerToClient
)

func (d Dirs) has(dir Dir) bool {
	switch d {
	case OnlyClientToServer:
		return dir == ClientToServer
	case OnlyServerToClient:
		return dir == ServerToClient
	}
	return true
}

// Match picks packets by their parsed contents. It is never called for a
// packet that does not parse.
type Match func(p *packet.Packet) bool

// Rule is one fault: which packets (direction, a predicate, the Nth of
// those), how often (Times, Probability) and what happens to them (Action).
// Rules apply in the order they were added; every rule that matches acts,
// except that nothing acts after a Drop. Probabilistic draws come from the
// Net's seeded fault stream, so one seed gives one run. A Rule counts the
// packets it saw (for Nth and Times): give each Net its own.
type Rule struct {
	// Name appears in the trace beside the packets the rule touched.
	Name string
	Dirs Dirs
	// Match, if set, must accept the packet.
	Match Match
	// RelSeq, if set, must hold the segment's sequence number relative to
	// its sender's ISN (a SYN is 0, the first data byte 1): "the segment
	// carrying bytes 1..1460" is RelSeq: &SeqRange{1, 1}.
	RelSeq *SeqRange
	// Nth, if positive, restricts the rule to the Nth packet (counting from
	// 1) that passes Dirs and Match.
	Nth int
	// Times, if positive, is how many packets the rule acts on at most.
	Times int
	// Probability, if strictly between 0 and 1, is the chance the rule acts
	// on a packet that passes every other condition; otherwise it always does.
	Probability float64
	Action      Action
	// Delay is the extra delay (Delay) or the longest hold (Reorder).
	Delay time.Duration

	seen, acted int
}

func (r *Rule) label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Action.String()
}

// decide reports whether the rule acts on p travelling in dir. draw gives
// the next number of the fault stream in [0, 1).
func (r *Rule) decide(dir Dir, p *packet.Packet, relSeq uint32, draw func() float64) bool {
	if !r.Dirs.has(dir) {
		return false
	}
	if r.Match != nil && (p == nil || !r.Match(p)) {
		return false
	}
	if r.RelSeq != nil && (p == nil || relSeq < r.RelSeq.First || relSeq > r.RelSeq.Last) {
		return false
	}
	r.seen++
	if r.Nth > 0 && r.seen != r.Nth {
		return false
	}
	if r.Times > 0 && r.acted >= r.Times {
		return false
	}
	if r.Probability > 0 && r.Probability < 1 && draw() >= r.Probability {
		return false
	}
	r.acted++
	return true
}

// SeqRange is an inclusive range of relative sequence numbers.
type SeqRange struct{ First, Last uint32 }

// Matches for Rule.Match.

// HasFlags matches packets with every flag in f set.
func HasFlags(f packet.Flags) Match { return func(p *packet.Packet) bool { return p.TCP.Flags.Has(f) } }

// FlagsAre matches packets whose flags are exactly f.
func FlagsAre(f packet.Flags) Match { return func(p *packet.Packet) bool { return p.TCP.Flags == f } }

// WithPayload matches segments that carry data.
func WithPayload() Match { return func(p *packet.Packet) bool { return len(p.TCP.Payload) > 0 } }

// SeqInRange matches segments whose sequence number lies in [first, last].
func SeqInRange(first, last seqnum.Value) Match {
	return func(p *packet.Packet) bool { return p.TCP.Seq.InRange(first, last+1) }
}

// ToPort matches packets for destination port port.
func ToPort(port uint16) Match { return func(p *packet.Packet) bool { return p.TCP.DstPort == port } }

// And matches packets every m matches.
func And(ms ...Match) Match {
	return func(p *packet.Packet) bool {
		for _, m := range ms {
			if !m(p) {
				return false
			}
		}
		return true
	}
}

// Or matches packets some m matches.
func Or(ms ...Match) Match {
	return func(p *packet.Packet) bool {
		for _, m := range ms {
			if m(p) {
				return true
			}
		}
		return false
	}
}

// Not matches packets m does not.
func Not(m Match) Match { return func(p *packet.Packet) bool { return !m(p) } }

// corrupt flips one bit of pkt past its IP header, chosen by draw. A single
// flipped bit always changes a ones'-complement sum, so the packet now fails
// its TCP checksum.
func corrupt(pkt []byte, ipHeaderLen int, draw func() float64) {
	if len(pkt) == 0 {
		return
	}
	if ipHeaderLen >= len(pkt) {
		ipHeaderLen = 0
	}
	span := len(pkt) - ipHeaderLen
	bit := int(draw() * float64(span*8))
	pkt[ipHeaderLen+bit/8] ^= 1 << (bit % 8)
}
