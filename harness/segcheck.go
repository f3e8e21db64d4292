package harness

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcpbed/tcpbed/harness/packet"
)

// SegCheck is one predicate over a packet on the wire, in the spirit of
// gVisor's checker package: checks compose, and a mismatch names every field
// that differs. A field no check mentions is "don't care". The same checks
// state what a scenario expects of a packet (CheckRecord) and which packets
// a fault rule acts on (Rule.Match).
type SegCheck struct {
	// Field names what is checked ("flags", "seq").
	Field string
	// Want is the expected value, as printed.
	Want string
	// Got prints r's value of the field and reports whether it matches.
	Got func(r *Record) (got string, ok bool)
}

// CheckRecord applies checks to r and returns an error listing every
// mismatch, or nil.
func CheckRecord(r *Record, checks ...SegCheck) error {
	var bad []string
	for _, c := range checks {
		if got, ok := c.Got(r); !ok {
			bad = append(bad, fmt.Sprintf("%s: got %s, want %s", c.Field, got, c.Want))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(bad, "; "))
}

// Matches reports whether r passes every check.
func Matches(r *Record, checks ...SegCheck) bool {
	for _, c := range checks {
		if _, ok := c.Got(r); !ok {
			return false
		}
	}
	return true
}

// DescribeChecks prints checks as one readable expectation:
// "client>server flags=S seq=0 len=0".
func DescribeChecks(checks []SegCheck) string {
	parts := make([]string, 0, len(checks))
	for _, c := range checks {
		if c.Field == "dir" {
			parts = append(parts, c.Want)
			continue
		}
		parts = append(parts, c.Field+"="+c.Want)
	}
	if len(parts) == 0 {
		return "any packet"
	}
	return strings.Join(parts, " ")
}

func uintCheck(field string, want uint64, get func(r *Record) uint64) SegCheck {
	return SegCheck{Field: field, Want: strconv.FormatUint(want, 10), Got: func(r *Record) (string, bool) {
		v := get(r)
		return strconv.FormatUint(v, 10), v == want
	}}
}

// SentBy checks the packet's direction: sent by side.
func SentBy(side Side) SegCheck {
	want := dirFrom(side)
	return SegCheck{Field: "dir", Want: want.String(), Got: func(r *Record) (string, bool) {
		return r.Dir.String(), r.Dir == want
	}}
}

// Flags checks that the control bits are exactly f.
func Flags(f packet.Flags) SegCheck {
	return SegCheck{Field: "flags", Want: "[" + f.String() + "]", Got: func(r *Record) (string, bool) {
		return "[" + r.Packet.TCP.Flags.String() + "]", r.Packet.TCP.Flags == f
	}}
}

// FlagsInclude checks that every bit of f is set (others may be too).
func FlagsInclude(f packet.Flags) SegCheck {
	return SegCheck{Field: "flags", Want: "[" + f.String() + "+...]", Got: func(r *Record) (string, bool) {
		return "[" + r.Packet.TCP.Flags.String() + "]", r.Packet.TCP.Flags.Has(f)
	}}
}

// FlagsExclude checks that no bit of f is set.
func FlagsExclude(f packet.Flags) SegCheck {
	return SegCheck{Field: "flags", Want: "without [" + f.String() + "]", Got: func(r *Record) (string, bool) {
		return "[" + r.Packet.TCP.Flags.String() + "]", r.Packet.TCP.Flags&f == 0
	}}
}

// Seq checks the sequence number relative to the sender's ISN (a SYN is 0,
// the first data byte 1).
func Seq(rel uint32) SegCheck {
	return uintCheck("seq", uint64(rel), func(r *Record) uint64 { return uint64(r.RelSeq) })
}

// Ack checks the acknowledgment number relative to the receiver's ISN.
func Ack(rel uint32) SegCheck {
	return uintCheck("ack", uint64(rel), func(r *Record) uint64 { return uint64(r.RelAck) })
}

// AbsSeq checks the raw sequence number.
func AbsSeq(v uint32) SegCheck {
	return uintCheck("abs seq", uint64(v), func(r *Record) uint64 { return uint64(r.Packet.TCP.Seq) })
}

// AbsAck checks the raw acknowledgment number.
func AbsAck(v uint32) SegCheck {
	return uintCheck("abs ack", uint64(v), func(r *Record) uint64 { return uint64(r.Packet.TCP.Ack) })
}

// Len checks the payload length.
func Len(n int) SegCheck {
	return uintCheck("len", uint64(n), func(r *Record) uint64 { return uint64(r.PayloadLen) })
}

// Window checks the window field as sent (unscaled).
func Window(w uint16) SegCheck {
	return uintCheck("win", uint64(w), func(r *Record) uint64 { return uint64(r.Packet.TCP.Window) })
}

// MaxLen checks the payload is at most n bytes.
func MaxLen(n int) SegCheck {
	return SegCheck{Field: "len", Want: "<=" + strconv.Itoa(n), Got: func(r *Record) (string, bool) {
		return strconv.Itoa(r.PayloadLen), r.PayloadLen <= n
	}}
}

// HasMSS checks the segment carries an MSS option.
func HasMSS() SegCheck {
	return SegCheck{Field: "mss option", Want: "present", Got: func(r *Record) (string, bool) {
		if r.Packet.TCP.Options.HasMSS {
			return "present", true
		}
		return "absent", false
	}}
}

// Intact checks the packet parsed with valid checksums.
func Intact() SegCheck {
	return SegCheck{Field: "parse", Want: "ok", Got: func(r *Record) (string, bool) {
		if r.ParseErr != nil {
			return r.ParseErr.Error(), false
		}
		return "ok", true
	}}
}

// FateIs checks what the wire did with the packet.
func FateIs(f Fate) SegCheck {
	return SegCheck{Field: "fate", Want: f.String(), Got: func(r *Record) (string, bool) {
		return r.Fate.String(), r.Fate == f
	}}
}

// HasData checks the packet carries payload.
func HasData() SegCheck {
	return SegCheck{Field: "len", Want: ">0", Got: func(r *Record) (string, bool) {
		return strconv.Itoa(r.PayloadLen), r.PayloadLen > 0
	}}
}

// SeqBetween checks the sequence number relative to the sender's ISN lies in
// [first, last]: "the segment carrying bytes 1..1460" is SeqBetween(1, 1).
func SeqBetween(first, last uint32) SegCheck {
	return SegCheck{Field: "seq", Want: fmt.Sprintf("%d..%d", first, last), Got: func(r *Record) (string, bool) {
		return strconv.FormatUint(uint64(r.RelSeq), 10), first <= r.RelSeq && r.RelSeq <= last
	}}
}

// SrcPort checks the source port.
func SrcPort(port uint16) SegCheck {
	return uintCheck("src port", uint64(port), func(r *Record) uint64 { return uint64(r.Packet.TCP.SrcPort) })
}
