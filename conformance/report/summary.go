package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// PairingOrder is the column order of the summary table: ourstack against
// gVisor both ways, ourstack with itself, then the gVisor control. Other
// pairings follow in name order.
var PairingOrder = []string{"ours->gvisor", "gvisor->ours", "ours->ours", "gvisor->gvisor"}

// Counts totals cells by outcome.
type Counts struct{ Pass, Fail, Skip int }

// Count totals cells by outcome.
func Count(cells []Cell) Counts {
	var n Counts
	for _, c := range cells {
		switch c.Outcome {
		case Pass:
			n.Pass++
		case Fail:
			n.Fail++
		default:
			n.Skip++
		}
	}
	return n
}

// WriteSummary prints the matrix as a table, scenario by pairing (pass,
// FAIL, or skip with a footnote giving its reason, one footnote per
// distinct reason), then the reasons and every failure's replay command
// and pcap.
func WriteSummary(w io.Writer, cells []Cell) error {
	// Cells a label filter left out (make conformance leaves out the
	// strangers' columns) are not part of this run's table.
	ran := slices.DeleteFunc(slices.Clone(cells), notRun)
	filtered := len(cells) - len(ran)
	cells = ran
	rows, cols := rowsAndColumns(cells)
	byKey := map[string]Cell{}
	for _, c := range cells {
		byKey[c.Key()] = c
	}
	var reasons []string // skip reasons, footnote i+1 is reasons[i]
	var fails []Cell
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\n", strings.Join(cols, "\t"))
	for _, r := range rows {
		fields := []string{r}
		for _, p := range cols {
			c, ok := byKey[CellText(r, p)]
			switch {
			case !ok:
				fields = append(fields, "-")
			case c.Outcome == Pass:
				fields = append(fields, "pass")
			case c.Outcome == Fail:
				fails = append(fails, c)
				fields = append(fields, "FAIL")
			default:
				i := slices.Index(reasons, c.Reason)
				if i < 0 {
					reasons = append(reasons, c.Reason)
					i = len(reasons) - 1
				}
				fields = append(fields, fmt.Sprintf("skip[%d]", i+1))
			}
		}
		fmt.Fprintln(tw, strings.Join(fields, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n := Count(cells)
	fmt.Fprintf(w, "\n%d cells: %d pass, %d FAIL, %d skip", len(cells), n.Pass, n.Fail, n.Skip)
	if len(rows)*len(cols) > len(cells) {
		fmt.Fprint(w, " (\"-\": the scenario does not run in that pairing)")
	}
	if filtered > 0 {
		fmt.Fprintf(w, "; %d more not run (filtered out)", filtered)
	}
	fmt.Fprintln(w)
	if len(reasons) > 0 {
		fmt.Fprintln(w, "\nskipped:")
		for i, r := range reasons {
			fmt.Fprintf(w, "  [%d] %s\n", i+1, r)
		}
	}
	if len(fails) > 0 {
		fmt.Fprintln(w, "\nfailed:")
		for _, c := range fails {
			fmt.Fprintf(w, "  %s: %s\n", c.Key(), c.Reason)
			fmt.Fprintf(w, "    replay: %s\n", replayOf(c))
			if c.Pcap != "" {
				fmt.Fprintf(w, "    pcap:   %s\n", c.Pcap)
			}
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

// replayOf is the cell's replay command: the one the suite recorded, or
// one built from its name if the spec never recorded it.
func replayOf(c Cell) string {
	if c.Replay != "" {
		return c.Replay
	}
	ends, family, _ := strings.Cut(c.Pairing, "/")
	client, server, _ := strings.Cut(ends, "->")
	return ReplayCommand(c.Scenario, client, server, family, 1)
}

// ReplayCommand is the command line that runs one cell again, with its
// trace: from the repository's root, as it is, with nothing installed.
// family is "" or "ipv4" for IPv4.
func ReplayCommand(scenario, client, server, family string, seed uint64) string {
	cmd := fmt.Sprintf("go run ./cmd/tcpbed run %s --client %s --server %s --seed %d --trace", scenario, client, server, seed)
	if family != "" && family != "ipv4" {
		cmd += " --family " + family
	}
	return cmd
}

// rowsAndColumns orders scenarios as the catalogue does (by the Order the
// suite recorded; cells that never ran, by name after them) and pairings
// as PairingOrder.
func rowsAndColumns(cells []Cell) (rows, cols []string) {
	order := map[string]int{}
	pairings := map[string]bool{}
	for _, c := range cells {
		if o, ok := order[c.Scenario]; !ok || (c.Order >= 0 && (o < 0 || c.Order < o)) {
			order[c.Scenario] = c.Order
		}
		pairings[c.Pairing] = true
	}
	for s := range order {
		rows = append(rows, s)
	}
	rank := func(o int) int {
		if o < 0 {
			return int(^uint(0) >> 1)
		}
		return o
	}
	slices.SortFunc(rows, func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(order[a]), rank(order[b])), strings.Compare(a, b))
	})
	for _, p := range PairingOrder {
		if pairings[p] {
			cols = append(cols, p)
			delete(pairings, p)
		}
	}
	var extra []string
	for p := range pairings {
		extra = append(extra, p)
	}
	// IPv4's columns, then IPv6's ("ours->gvisor/ipv6"), each family's
	// in PairingOrder and then by name.
	family := func(p string) string { _, f, _ := strings.Cut(p, "/"); return f }
	ends := func(p string) string { e, _, _ := strings.Cut(p, "/"); return e }
	column := func(p string) int {
		if i := slices.Index(PairingOrder, ends(p)); i >= 0 {
			return i
		}
		return len(PairingOrder)
	}
	slices.SortFunc(extra, func(a, b string) int {
		return cmp.Or(strings.Compare(family(a), family(b)), cmp.Compare(column(a), column(b)), strings.Compare(a, b))
	})
	return rows, append(cols, extra...)
}

// notRun reports whether c was filtered out of the run rather than skipped
// by the scenario with a reason of its own.
func notRun(c Cell) bool { return c.Outcome == Skip && strings.HasPrefix(c.Reason, notRunReason) }
