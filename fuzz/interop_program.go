package fuzz

import (
	"fmt"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// An interop program is what the interop target turns its bytes into, in the
// style of quic-go's frame_sorter_test: a small decoder reads operations
// from the bytes until they run out. The program speaks of the client (the
// end that dials) and the server (the end that listens); which stack plays
// which is the pairing's business, and every program runs in every pairing.
//
// The byte format, so that seeds can be written by hand (see
// encodeInteropProgram):
//
//	byte 0        the Net's seed
//	then steps    op byte: bits 0-2 the operation, bit 3 the side
//	              (0 client, 1 server), bits 4-7 a small argument;
//	              then the operation's own bytes:
//	  0 write     1 byte: (arg<<8 | b)*4 + 1 bytes of the side's pattern
//	  1 read      none: up to (arg+1) KiB, whatever is there
//	  2 closewr   none (CloseWrite, the half-close)
//	  3 close     none
//	  4 abort     none
//	  5 advance   1 byte b: b units of 1 ms, 10 ms, 100 ms or 1 s (arg%4)
//	  6 fault     3 bytes: action/dirs/match, nth/times, probability;
//	              arg sets the delay of Delay and Reorder rules
//	  7 heal      none: lift every fault rule
//
// A program stops at interopMaxSteps steps; writes stop at
// interopMaxWrite bytes per side, rules at interopMaxRules.
type interopProgram struct {
	seed  uint64
	steps []interopStep
}

// interopOp is one kind of step.
type interopOp uint8

const (
	opWrite interopOp = iota
	opRead
	opCloseWrite
	opClose
	opAbort
	opAdvance
	opFault
	opHeal
)

var interopOpNames = [...]string{"write", "read", "closewrite", "close", "abort", "advance", "fault", "heal"}

func (o interopOp) String() string { return interopOpNames[o] }

// Bounds that keep one program fast.
const (
	interopMaxSteps = 32
	interopMaxWrite = 64 << 10 // bytes one side writes in all
	interopMaxRules = 8
)

// interopStep is one step of a program.
type interopStep struct {
	op   interopOp
	side harness.Side
	n    int           // bytes, for write and read
	d    time.Duration // for advance
	rule interopRule   // for fault
}

// matchKind picks the packets a fault rule applies to.
type matchKind uint8

const (
	matchAny matchKind = iota
	matchData
	matchSYN
	matchFIN
	matchRST
	matchPureACK
	numMatchKinds
)

var matchNames = [...]string{"any", "data", "syn", "fin", "rst", "pure-ack"}

func (m matchKind) match() []harness.SegCheck {
	switch m {
	case matchData:
		return []harness.SegCheck{harness.HasData()}
	case matchSYN:
		return []harness.SegCheck{harness.FlagsInclude(packet.SYN)}
	case matchFIN:
		return []harness.SegCheck{harness.FlagsInclude(packet.FIN)}
	case matchRST:
		return []harness.SegCheck{harness.FlagsInclude(packet.RST)}
	case matchPureACK:
		return []harness.SegCheck{harness.Flags(packet.ACK), harness.Len(0)}
	}
	return nil
}

// interopRule is a fault rule as a program states it; rule builds a fresh
// harness.Rule from it for each run (a Rule counts what it has seen).
type interopRule struct {
	action      harness.Action
	dirs        harness.Dirs
	match       matchKind
	nth, times  int
	probability uint8 // 0 means always; otherwise probability/256
	delay       time.Duration
}

func (r interopRule) rule() *harness.Rule {
	hr := &harness.Rule{
		Name:   r.String(),
		Dirs:   r.dirs,
		Match:  r.match.match(),
		Nth:    r.nth,
		Times:  r.times,
		Action: r.action,
		Delay:  r.delay,
	}
	if r.probability != 0 {
		hr.Probability = float64(r.probability) / 256
	}
	return hr
}

var dirsNames = [...]string{"both", "c>s", "s>c"}

func (r interopRule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", r.action, dirsNames[r.dirs], matchNames[r.match])
	if r.nth > 0 {
		fmt.Fprintf(&b, " nth=%d", r.nth)
	}
	if r.times > 0 {
		fmt.Fprintf(&b, " times=%d", r.times)
	}
	if r.probability != 0 {
		fmt.Fprintf(&b, " p=%d/256", r.probability)
	}
	if r.action == harness.Delay || r.action == harness.Reorder {
		fmt.Fprintf(&b, " %v", r.delay)
	}
	return b.String()
}

func (s interopStep) String() string {
	switch s.op {
	case opWrite, opRead:
		return fmt.Sprintf("%s %s %d", s.side, s.op, s.n)
	case opCloseWrite, opClose, opAbort:
		return fmt.Sprintf("%s %s", s.side, s.op)
	case opAdvance:
		return fmt.Sprintf("advance %v", s.d)
	case opFault:
		return "fault " + s.rule.String()
	}
	return s.op.String()
}

func (p *interopProgram) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d", p.seed)
	for _, s := range p.steps {
		b.WriteString("; ")
		b.WriteString(s.String())
	}
	return b.String()
}

// advanceUnits are the units of an advance step, by its argument.
var advanceUnits = [4]time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, time.Second}

// faultDelayUnit is the delay of a Delay or Reorder rule per unit of its
// argument (arg+1 units): from 20 ms, past a round trip, to 320 ms, past
// the minimum RTO.
const faultDelayUnit = 20 * time.Millisecond

// decodeInteropProgram reads a program from in. It never fails: missing
// bytes end the program, every byte value means something.
func decodeInteropProgram(in []byte) *interopProgram {
	p := &interopProgram{}
	if len(in) == 0 {
		return p
	}
	p.seed = uint64(in[0])
	in = in[1:]
	var written [2]int
	rules := 0
	corruptInForce := false
	next := func() (byte, bool) {
		if len(in) == 0 {
			return 0, false
		}
		b := in[0]
		in = in[1:]
		return b, true
	}
	for len(p.steps) < interopMaxSteps {
		b, ok := next()
		if !ok {
			break
		}
		s := interopStep{op: interopOp(b & 7), side: harness.Side(b >> 3 & 1)}
		arg := int(b >> 4)
		switch s.op {
		case opWrite:
			lo, ok := next()
			if !ok {
				return p
			}
			s.n = min((arg<<8|int(lo))*4+1, interopMaxWrite-written[s.side])
			if s.n <= 0 {
				continue
			}
			written[s.side] += s.n
		case opRead:
			s.n = (arg + 1) << 10
		case opAdvance:
			units, ok := next()
			if !ok {
				return p
			}
			s.d = time.Duration(units) * advanceUnits[arg%4]
		case opFault:
			var fb [3]byte
			for i := range fb {
				if fb[i], ok = next(); !ok {
					return p
				}
			}
			if rules == interopMaxRules {
				continue
			}
			rules++
			s.side = harness.Client
			s.rule = interopRule{
				action:      harness.Action(fb[0] % 5),
				dirs:        harness.Dirs(fb[0] / 5 % 3),
				match:       matchKind(fb[0] / 15 % uint8(numMatchKinds)),
				nth:         int(fb[1] & 7),
				times:       int(fb[1] >> 3 & 7),
				probability: fb[2],
			}
			if s.rule.action == harness.Corrupt {
				if corruptInForce {
					// A packet two Corrupt rules match gets two flipped
					// bits, which the checksum can miss (a 0->1 and a
					// 1->0 flip of the same bit of two 16-bit words
					// cancel in the ones'-complement sum): the receiver
					// would take corrupted data, a fault no TCP can
					// survive. One Corrupt rule at a time.
					s.rule.action = harness.Drop
				}
				corruptInForce = true
			}
			if a := s.rule.action; a == harness.Delay || a == harness.Reorder {
				s.rule.delay = time.Duration(arg+1) * faultDelayUnit
			}
		case opHeal:
			rules, corruptInForce = 0, false
			s.side = harness.Client
		}
		if s.op == opAdvance || s.op == opFault || s.op == opHeal {
			s.side = harness.Client
		}
		p.steps = append(p.steps, s)
	}
	return p
}

// encodeInteropProgram is decodeInteropProgram's inverse, for seeds written
// as programs. It panics on a step the format cannot say (a seed's bug).
func encodeInteropProgram(p *interopProgram) []byte {
	out := []byte{byte(p.seed)}
	for _, s := range p.steps {
		op := byte(s.op) | byte(s.side)<<3
		switch s.op {
		case opWrite:
			units := (s.n - 1) / 4
			if units < 0 || units >= 1<<12 || units*4+1 != s.n {
				panic(fmt.Sprintf("write of %d bytes: not 4k+1 below 16 KiB", s.n))
			}
			out = append(out, op|byte(units>>8)<<4, byte(units))
		case opRead:
			kib := s.n >> 10
			if kib < 1 || kib > 16 || kib<<10 != s.n {
				panic(fmt.Sprintf("read of %d bytes: not 1-16 KiB", s.n))
			}
			out = append(out, op|byte(kib-1)<<4)
		case opAdvance:
			enc := false
			for i, u := range advanceUnits {
				if s.d%u == 0 && s.d/u < 256 {
					out = append(out, op|byte(i)<<4, byte(s.d/u))
					enc = true
					break
				}
			}
			if !enc {
				panic(fmt.Sprintf("advance %v: not k ms, 10 ms, 100 ms or s, k < 256", s.d))
			}
		case opFault:
			r := s.rule
			arg := byte(0)
			if r.delay > 0 {
				arg = byte(r.delay/faultDelayUnit - 1)
			}
			if r.nth > 7 || r.times > 7 || arg > 15 {
				panic("fault rule out of range: " + r.String())
			}
			out = append(out, op|arg<<4,
				byte(r.action)+5*byte(r.dirs)+15*byte(r.match),
				byte(r.nth)|byte(r.times)<<3,
				r.probability)
		default:
			out = append(out, op)
		}
	}
	return out
}
