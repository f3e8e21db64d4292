package matchers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// RFC parses one line of an exchange as RFC 9293 draws it (figures 6 to
// 13) into a Seg:
//
//	SYN-SENT    --> <SEQ=0><CTL=SYN>             --> SYN-RECEIVED
//	ESTABLISHED <-- <SEQ=0><ACK=1><CTL=SYN,ACK>  <-- SYN-RECEIVED
//
// "-->" is a packet from the client (TCP A, the left column) to the server
// (TCP B, the right column); "<--" the reverse. The states are each end's
// state once the receiver has processed the packet, as the trace records
// them; leave one out, or write "*", for don't care. Fields: SEQ and ACK
// relative to each sender's ISN (a SYN is 0), CTL the exact control bits,
// LEN the payload length, DATA a non-empty payload, WND the window field.
// A field not written is don't care. RFC panics on a malformed line: it is
// a mistake in the spec, as with regexp.MustCompile.
func RFC(line string) conformance.Seg {
	s, err := ParseRFC(line)
	if err != nil {
		panic(err)
	}
	return s
}

var (
	rfcLine  = regexp.MustCompile(`^\s*(\S*)\s*(-->|<--)\s*((?:<[^<>]*>\s*)+)(?:(-->|<--)\s*)?(\S*)\s*$`)
	rfcField = regexp.MustCompile(`<([^<>=]*)(?:=([^<>]*))?>`)
)

// ParseRFC is RFC returning an error instead of panicking.
func ParseRFC(line string) (conformance.Seg, error) {
	m := rfcLine.FindStringSubmatch(line)
	if m == nil {
		return nil, fmt.Errorf("RFC notation %q: want \"[STATE] --> <SEQ=n><CTL=SYN,ACK>... [--> STATE]\"", line)
	}
	left, arrow, fields, arrow2, right := m[1], m[2], m[3], m[4], m[5]
	if arrow2 != "" && arrow2 != arrow {
		return nil, fmt.Errorf("RFC notation %q: arrows %s and %s disagree", line, arrow, arrow2)
	}
	var seg conformance.Seg
	if arrow == "-->" {
		seg = conformance.C2S()
	} else {
		seg = conformance.S2C()
	}
	for _, f := range rfcField.FindAllStringSubmatch(fields, -1) {
		check, err := rfcFieldCheck(strings.ToUpper(strings.TrimSpace(f[1])), strings.TrimSpace(f[2]))
		if err != nil {
			return nil, fmt.Errorf("RFC notation %q: %w", line, err)
		}
		seg = append(seg, check)
	}
	for _, st := range []struct {
		side harness.Side
		name string
	}{{harness.Client, left}, {harness.Server, right}} {
		if st.name == "" || st.name == "*" {
			continue
		}
		want, ok := parseState(st.name)
		if !ok {
			return nil, fmt.Errorf("RFC notation %q: %q is not an RFC 9293 state", line, st.name)
		}
		seg = append(seg, StateIs(st.side, want))
	}
	return seg, nil
}

func rfcFieldCheck(name, value string) (harness.SegCheck, error) {
	number := func() (uint64, error) {
		v, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("<%s=%s>: want a number", name, value)
		}
		return v, nil
	}
	switch name {
	case "SEQ", "ACK", "LEN", "WND":
		v, err := number()
		if err != nil {
			return harness.SegCheck{}, err
		}
		switch name {
		case "SEQ":
			return conformance.Seq(uint32(v)), nil
		case "ACK":
			return conformance.Ack(uint32(v)), nil
		case "LEN":
			return conformance.Len(int(v)), nil
		}
		if v > 0xffff {
			return harness.SegCheck{}, fmt.Errorf("<WND=%s>: over 65535", value)
		}
		return conformance.Window(uint16(v)), nil
	case "CTL":
		var f packet.Flags
		for _, bit := range strings.Split(value, ",") {
			switch strings.ToUpper(strings.TrimSpace(bit)) {
			case "SYN":
				f |= conformance.SYN
			case "ACK":
				f |= conformance.ACK
			case "FIN":
				f |= conformance.FIN
			case "RST":
				f |= conformance.RST
			case "PSH":
				f |= conformance.PSH
			default:
				return harness.SegCheck{}, fmt.Errorf("<CTL=%s>: %q is not SYN, ACK, FIN, RST or PSH", value, bit)
			}
		}
		return conformance.Flags(f), nil
	case "DATA":
		return conformance.HasData(), nil
	}
	return harness.SegCheck{}, fmt.Errorf("<%s>: want SEQ, ACK, CTL, LEN, DATA or WND", name)
}

// StateIs checks side's state right after the receiver processed the
// packet, as the trace recorded it.
func StateIs(side harness.Side, want harness.State) harness.SegCheck {
	return harness.SegCheck{Field: side.String() + " state", Want: want.String(), Got: func(r *harness.Record) (string, bool) {
		got := r.States[side]
		return stateText(got), got == want
	}}
}

func parseState(name string) (harness.State, bool) {
	for s := harness.Closed; s <= harness.TimeWait; s++ {
		if strings.EqualFold(s.String(), name) || strings.EqualFold(strings.ReplaceAll(s.String(), "-", "_"), name) {
			return s, true
		}
	}
	return 0, false
}
