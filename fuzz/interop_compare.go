package fuzz

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// The interop target's differential half: the same program runs
// gvisor<->gvisor, and what the applications saw there is compared with what
// they saw with ourstack at one end. Where the outcomes differ, the input
// fails unless one of allowedDifferences applies.

// interopOutcome is what one side's application saw of a run.
type interopOutcome struct {
	Written, Read int
	End           readEnd
	WriteErr      string // "" or the errno of the first failed Write
}

func (o interopOutcome) String() string {
	s := fmt.Sprintf("wrote %d, read %d then %v", o.Written, o.Read, o.End)
	if o.WriteErr != "" {
		s += ", Write failed with " + o.WriteErr
	}
	return s
}

func (r *interopRun) outcomes() [2]interopOutcome {
	var o [2]interopOutcome
	for s, e := range r.ends {
		o[s] = interopOutcome{Written: e.written, Read: e.readN, End: e.end}
		if e.writeErr != nil {
			var errno syscall.Errno
			if errors.As(e.writeErr, &errno) {
				o[s].WriteErr = errno.Error()
			} else {
				o[s].WriteErr = e.writeErr.Error()
			}
		}
	}
	return o
}

// allowedDifference is a reason two stacks may show an application
// different outcomes for the same program.
type allowedDifference struct {
	name   string
	reason string
	// applies tells whether the reason holds for this pair of runs.
	applies func(a, b *interopRun) bool
}

// allowedDifferences is the named, documented list. Each is a race whose
// winner depends on timing the RFCs leave to the implementation (RTO,
// delayed ACKs, retransmission limits); none excuses a byte delivered
// twice, out of order or never written: those are the oracle's, in every
// run.
var allowedDifferences = []allowedDifference{
	{
		name: "reset-race",
		reason: "an RST crossed the wire (an ABORT, or a CLOSE with unread data, RFC 1122 4.2.2.13): " +
			"how much data got through before it, whether the other end read EOF or the reset first, " +
			"and which errors Write and Read then return depend on when each stack sent and ACKed what " +
			"(RTO, delayed ACK, when the application's Read ran); RFC 9293 3.10.7 discards queued data on RST",
		applies: func(a, b *interopRun) bool { return a.sawRST() || b.sawRST() },
	},
	{
		name: "closed-before-the-end",
		reason: "an application closed its socket before it had read to the end, in one run or both: " +
			"what its non-blocking Reads found before then, and whether the peer's FIN came before the " +
			"Close, depend on when segments arrived (segmentation, ACK clocking, initial window: RFC 5681 " +
			"leaves them open); for that side Read and End are not compared, everything else is, and what " +
			"it did read was checked as a prefix of the peer's stream in each run",
		applies: func(a, b *interopRun) bool {
			oa, ob := a.outcomes(), b.outcomes()
			for s := range oa {
				if oa[s].End == endDropped || ob[s].End == endDropped {
					oa[s].End, ob[s].End = endDropped, endDropped
					oa[s].Read, ob[s].Read = 0, 0
				}
			}
			return oa == ob
		},
	},
	{
		name: "retransmission-give-up",
		reason: "a side gave up retransmitting (ETIMEDOUT, from any call): RFC 9293 3.8.3 leaves R1/R2 to the " +
			"implementation; ourstack gives up after 12 data (5 SYN) retransmissions with a 60 s cap, " +
			"gVisor after 15 (6 SYN) with a 120 s cap, so the same fault schedule can kill one connection and not the other",
		applies: func(a, b *interopRun) bool { return a.sawTimeout() || b.sawTimeout() },
	},
}

// sawRST reports whether any segment of the run carried RST.
func (r *interopRun) sawRST() bool {
	for _, rec := range r.net.Trace().Records {
		if rec.Packet.TCP.Flags.Has(packet.RST) {
			return true
		}
	}
	return false
}

// sawTimeout reports whether an application saw ETIMEDOUT, from Read,
// Write or CloseWrite.
func (r *interopRun) sawTimeout() bool {
	for _, e := range r.ends {
		if e.end == endTimedOut || e.writeErr != nil && classifyReadErr(e.writeErr) == endTimedOut {
			return true
		}
	}
	return false
}

// compareOutcomes compares run a with the control run b: "" if the
// applications saw the same, or the difference is allowed (its name is
// returned in allowed); otherwise what differs.
func compareOutcomes(a, b *interopRun) (diff, allowed string) {
	oa, ob := a.outcomes(), b.outcomes()
	if oa == ob {
		return "", ""
	}
	for _, d := range allowedDifferences {
		if d.applies(a, b) {
			return "", d.name
		}
	}
	for s := range oa {
		if oa[s] != ob[s] {
			diff += fmt.Sprintf("%s: %s saw %v; %s saw %v. ", harness.Side(s), a.pairing.name, oa[s], b.pairing.name, ob[s])
		}
	}
	return diff, ""
}
