package harness

import (
	"fmt"
	"time"
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
	// Unreachable drops the packet and answers its sender with an ICMP
	// Destination Unreachable of code Rule.Code (packet.HostUnreachable,
	// PortUnreachable, ...): from the destination itself for a port or
	// protocol unreachable (RFC 1122 3.2.2.1: the host's answer), else from
	// the router (Config.RouterAddr).
	Unreachable
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
	case Unreachable:
		return "unreachable"
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
	// Match, if set, are checks the packet must pass, in the vocabulary of
	// the expectations (Flags, HasData, SeqBetween, Where, ...): a rule
	// sees the packet as sent, before the wire decides its fate, with its
	// sequence numbers relative to the ISNs. A packet that does not parse
	// matches no rule that has checks.
	Match []SegCheck
	// Nth, if positive, restricts the rule to the Nth packet (counting from
	// 1) that passes Dirs and Match; Skip, if positive, lets the first Skip
	// of them pass untouched ("every SYN after the first" is Skip: 1).
	Nth, Skip int
	// Times, if positive, is how many packets the rule acts on at most.
	Times int
	// Probability, if strictly between 0 and 1, is the chance the rule acts
	// on a packet that passes every other condition; otherwise it always does.
	Probability float64
	Action      Action
	// Delay is the extra delay (Delay) or the longest hold (Reorder).
	Delay time.Duration
	// Code is the ICMP Destination Unreachable code an Unreachable rule
	// answers with (packet.HostUnreachable, ...).
	Code uint8

	seen, acted int
}

func (r *Rule) label() string {
	switch {
	case r.Name != "":
		return r.Name
	case len(r.Match) > 0:
		return r.Action.String() + " " + DescribeChecks(r.Match)
	}
	return r.Action.String()
}

// decide reports whether the rule acts on the packet rec travelling in its
// Dir (rec is nil when the packet does not parse, or a partial Record:
// no fate, states or index yet). draw gives the next number of the fault
// stream in [0, 1).
func (r *Rule) decide(dir Dir, rec *Record, draw func() float64) bool {
	if !r.Dirs.has(dir) {
		return false
	}
	if len(r.Match) > 0 && (rec == nil || !Matches(rec, r.Match...)) {
		return false
	}
	r.seen++
	if (r.Nth > 0 && r.seen != r.Nth) || r.seen <= r.Skip {
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
