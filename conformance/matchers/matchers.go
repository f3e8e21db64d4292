// Package matchers holds Gomega matchers for scenario runs, segments,
// exchanges and state sequences, for specs written with Ginkgo. Each checks
// through the same harness.CheckRecord the Env helpers use, so a Seg means
// the same thing in a scenario and in a spec; each failure message shows the expectation beside what happened,
// with both ends' states.
//
//	Expect(res.Net.Trace()).To(MatchExchange(
//		RFC("SYN-SENT    --> <SEQ=0><CTL=SYN>                --> SYN-RECEIVED"),
//		RFC("ESTABLISHED <-- <SEQ=0><ACK=1><CTL=SYN,ACK>     <-- SYN-RECEIVED"),
//		RFC("ESTABLISHED --> <SEQ=1><ACK=1><CTL=ACK>         --> ESTABLISHED"),
//	))
package matchers

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
)

// lazyText is a failure message the match function writes and the
// matcher's template prints when Gomega asks for it.
type lazyText struct{ s string }

func (t *lazyText) String() string { return t.s }

// PassScenario succeeds when a scenario run (*Result) passed. Its failure
// message is the run's *Failure: expected, got, the whole trace with both
// ends' states, and the replay command; then notes, one a line (the path
// of the run's pcap).
func PassScenario(notes ...string) types.GomegaMatcher {
	msg := &lazyText{}
	return gcustom.MakeMatcher(func(res *conformance.Result) (bool, error) {
		if res == nil {
			return false, fmt.Errorf("PassScenario: nil *Result")
		}
		if res.Err == nil {
			msg.s = fmt.Sprintf("scenario %s (%s, seed %d) passed", res.Scenario.Name, res.Pairing, res.Seed)
			return true, nil
		}
		msg.s = res.Err.Error()
		if f, ok := res.Err.(*conformance.Failure); ok {
			msg.s = elidedFailure(f)
		} else {
			msg.s = fmt.Sprintf("scenario %s (%s, seed %d) could not run: %v\nreplay:   %s",
				res.Scenario.Name, res.Pairing, res.Seed, res.Err, conformance.ReplayCommand(res.Scenario.Name, res.Pairing, res.Seed))
		}
		for _, n := range notes {
			msg.s = strings.TrimRight(msg.s, "\n") + "\n" + n
		}
		return false, nil
	}).WithTemplate("{{.Data}}", msg)
}

// Long traces (a bulk transfer's runs to tens of thousands of lines) are
// cut in a matcher's message to their head and tail: the end is where a
// failure shows, and the replay command and the pcap hold the rest.
const (
	traceHeadLines = 60
	traceTailLines = 240
	gotMaxLines    = 200
)

// elidedFailure is f.Error() with its trace and got cut to a readable size.
func elidedFailure(f *conformance.Failure) string {
	short := *f
	short.Got = elideLines(f.Got, gotMaxLines/4, gotMaxLines*3/4, "")
	short.Trace = elideLines(f.Trace, traceHeadLines, traceTailLines, "; the whole trace: "+f.Replay)
	return short.Error()
}

// elideLines keeps the first head and last tail lines of s.
func elideLines(s string, head, tail int, where string) string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) <= head+tail {
		return s
	}
	cut := len(lines) - head - tail
	note := fmt.Sprintf("... %d lines left out%s ...\n", cut, where)
	return strings.Join(lines[:head], "") + note + strings.Join(lines[len(lines)-tail:], "")
}

// MatchSegment succeeds when one packet (*harness.Record) passes every
// check; a check not given is "don't care".
func MatchSegment(checks ...harness.SegCheck) types.GomegaMatcher {
	want := conformance.Seg(checks)
	msg := &lazyText{}
	return gcustom.MakeMatcher(func(r *harness.Record) (bool, error) {
		if r == nil {
			return false, fmt.Errorf("MatchSegment: nil *harness.Record")
		}
		err := harness.CheckRecord(r, want...)
		msg.s = fmt.Sprintf("want: %s\ngot:  %s", want, describeRecord(r))
		if err != nil {
			msg.s += "\n      " + err.Error()
		}
		return err == nil, nil
	}).WithTemplate("Expected the packet {{.To}} match:\n{{.Data}}", msg)
}

// MatchExchange succeeds when the packets are exactly segs, one for one, in
// order. The actual value is a *harness.Trace, a []*harness.Record (a
// trace's Since(mark)), or a *Result (its whole trace).
func MatchExchange(segs ...conformance.Seg) types.GomegaMatcher {
	msg := &lazyText{}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		recs, err := recordsOf(actual)
		if err != nil {
			return false, fmt.Errorf("MatchExchange: %w", err)
		}
		pairs := make([]exchangeRow, max(len(segs), len(recs)))
		ok := len(segs) == len(recs)
		for i := range pairs {
			if i < len(segs) {
				pairs[i].want = segs[i]
			}
			if i < len(recs) {
				pairs[i].got = recs[i]
			}
			pairs[i].check()
			ok = ok && pairs[i].verdict == ""
		}
		msg.s = sideBySide(pairs)
		return ok, nil
	}).WithTemplate("Expected the packets {{.To}} be exactly this exchange:\n{{.Data}}", msg)
}

// ContainExchange succeeds when segs appear among the packets in order,
// other packets allowed between them (as Env.ExpectInOrder).
func ContainExchange(segs ...conformance.Seg) types.GomegaMatcher {
	msg := &lazyText{}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		recs, err := recordsOf(actual)
		if err != nil {
			return false, fmt.Errorf("ContainExchange: %w", err)
		}
		var rows []exchangeRow
		i := 0
		for _, r := range recs {
			row := exchangeRow{got: r}
			if i < len(segs) && harness.CheckRecord(r, segs[i]...) == nil {
				row.want = segs[i]
				i++
			}
			row.verdict = "ok"
			if row.want == nil {
				row.verdict = "(between)"
			}
			rows = append(rows, row)
		}
		for _, s := range segs[i:] {
			row := exchangeRow{want: s}
			row.check()
			rows = append(rows, row)
		}
		msg.s = sideBySide(rows)
		return i == len(segs), nil
	}).WithTemplate("Expected the packets {{.To}} contain this exchange in order:\n{{.Data}}", msg)
}

// HaveStates succeeds when a state sequence is exactly want. The actual
// value is a []harness.State (Net.States) or a []harness.StateChange
// (Net.History: the first change's From, then every To).
func HaveStates(want ...harness.State) types.GomegaMatcher {
	msg := &lazyText{}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		var got []harness.State
		var history []harness.StateChange
		switch a := actual.(type) {
		case []harness.State:
			got = a
		case []harness.StateChange:
			history = a
			for i, c := range a {
				if i == 0 {
					got = append(got, c.From)
				}
				got = append(got, c.To)
			}
		default:
			return false, fmt.Errorf("HaveStates: want []harness.State or []harness.StateChange, got %T", actual)
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\twant\tgot\t")
		for i := range max(len(want), len(got)) {
			w, g, mark := "(none)", "(none)", "ok"
			if i < len(want) {
				w = want[i].String()
			}
			if i < len(got) {
				g = got[i].String()
				if i > 0 && i-1 < len(history) {
					g += " at " + history[i-1].At.String()
				}
			}
			if i >= len(want) || i >= len(got) || want[i] != got[i] {
				mark = "<- differs"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", i+1, w, g, mark)
		}
		tw.Flush()
		msg.s = strings.TrimRight(b.String(), "\n")
		return slices.Equal(got, want), nil
	}).WithTemplate("Expected the states {{.To}} be "+conformance.FormatStates(want)+":\n{{.Data}}", msg)
}

// exchangeRow is one line of a side-by-side exchange: an expected segment,
// the packet set against it, and what differs.
type exchangeRow struct {
	want    conformance.Seg
	got     *harness.Record
	verdict string
}

func (row *exchangeRow) check() {
	switch {
	case row.want == nil:
		row.verdict = "<- not expected"
	case row.got == nil:
		row.verdict = "<- missing"
	default:
		if err := harness.CheckRecord(row.got, row.want...); err != nil {
			row.verdict = "<- " + err.Error()
		}
	}
}

func sideBySide(rows []exchangeRow) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\texpected\tgot (states after the receiver processed it)\t")
	for i, row := range rows {
		want, got := "", "(none)"
		if row.want != nil {
			want = row.want.String()
		}
		if row.got != nil {
			got = describeRecord(row.got)
		}
		verdict := row.verdict
		if verdict == "" {
			verdict = "ok"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", i+1, want, got, verdict)
	}
	tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// describeRecord is one packet as describeRecords prints it, plus both
// ends' states.
func describeRecord(r *harness.Record) string {
	return strings.TrimSpace(conformance.DescribeRecords([]*harness.Record{r})) +
		fmt.Sprintf("  client %s, server %s", stateText(r.States[harness.Client]), stateText(r.States[harness.Server]))
}

func stateText(s harness.State) string {
	if s == harness.NoState {
		return "-"
	}
	return s.String()
}

func recordsOf(actual any) ([]*harness.Record, error) {
	switch a := actual.(type) {
	case []*harness.Record:
		return a, nil
	case *harness.Trace:
		return a.Records, nil
	case *conformance.Result:
		if a.Net == nil {
			return nil, fmt.Errorf("the run has no Net (it did not start: %v)", a.Err)
		}
		return a.Net.Trace().Records, nil
	}
	return nil, fmt.Errorf("want *harness.Trace, []*harness.Record or *Result, got %T", actual)
}
