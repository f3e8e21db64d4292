package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Comparison is the matrix set against the baseline.
type Comparison struct {
	// Regressions passed in the baseline and now fail or are skipped (a
	// skip must not hide a failure): each fails the gate.
	Regressions []Cell
	// Vanished are baseline cells missing from the matrix: a scenario must
	// not disappear silently, so each fails the gate.
	Vanished []string
	// Fixed failed or were skipped in the baseline and pass now.
	Fixed []Cell
	// New cells are in the matrix but not in the baseline.
	New []Cell
	// StillFailing failed in the baseline and fail now (known failures).
	StillFailing []Cell
	// Strays are failures outside the matrix's cells (StrayFailures): no
	// baseline covers them, so each fails the gate. The caller sets them.
	Strays []string
}

// Compare sets cells against base.
func Compare(base Baseline, cells []Cell) Comparison {
	var cmp Comparison
	now := map[string]bool{}
	for _, c := range cells {
		now[c.Key()] = true
		was, known := base[c.Key()]
		switch {
		case !known:
			cmp.New = append(cmp.New, c)
		case was == Pass && c.Outcome != Pass:
			cmp.Regressions = append(cmp.Regressions, c)
		case was != Pass && c.Outcome == Pass:
			cmp.Fixed = append(cmp.Fixed, c)
		case was == Fail && c.Outcome == Fail:
			cmp.StillFailing = append(cmp.StillFailing, c)
		}
	}
	for k := range base {
		if !now[k] {
			cmp.Vanished = append(cmp.Vanished, k)
		}
	}
	slices.Sort(cmp.Vanished)
	for _, l := range [][]Cell{cmp.Regressions, cmp.Fixed, cmp.New, cmp.StillFailing} {
		slices.SortFunc(l, func(a, b Cell) int { return strings.Compare(a.Key(), b.Key()) })
	}
	return cmp
}

// OK reports whether the gate passes: no regression, nothing vanished,
// nothing failed outside the matrix.
func (c Comparison) OK() bool {
	return len(c.Regressions) == 0 && len(c.Vanished) == 0 && len(c.Strays) == 0
}

// UpdateCommand is the command that rewrites the baseline from the last
// report.
const UpdateCommand = "make baseline"

// Write explains the comparison: each regression with its replay command,
// each vanished cell, each new or fixed cell with the command that updates
// the baseline, and the verdict on the last line.
func (c Comparison) Write(w io.Writer, baselinePath string) error {
	var b strings.Builder
	if len(c.Regressions) > 0 {
		fmt.Fprintf(&b, "REGRESSIONS: %d cell(s) passed in %s and do not now:\n", len(c.Regressions), baselinePath)
		for _, r := range c.Regressions {
			fmt.Fprintf(&b, "  %s: was pass, now %s", r.Key(), r.Outcome)
			if r.Reason != "" {
				fmt.Fprintf(&b, " (%s)", r.Reason)
			}
			fmt.Fprintf(&b, "\n    replay: %s\n", replayOf(r))
			if r.Pcap != "" {
				fmt.Fprintf(&b, "    pcap:   %s\n", r.Pcap)
			}
		}
	}
	if len(c.Vanished) > 0 {
		fmt.Fprintf(&b, "VANISHED: %d cell(s) in %s are missing from the matrix (a scenario or pairing was removed or renamed; if on purpose, run %s):\n", len(c.Vanished), baselinePath, UpdateCommand)
		for _, k := range c.Vanished {
			fmt.Fprintf(&b, "  %s\n", k)
		}
	}
	if len(c.Strays) > 0 {
		fmt.Fprintf(&b, "FAILED OUTSIDE THE MATRIX: %d (no baseline covers these; they must pass):\n", len(c.Strays))
		for _, s := range c.Strays {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	if len(c.StillFailing) > 0 {
		fmt.Fprintf(&b, "known failures: %d cell(s) fail as the baseline says:\n", len(c.StillFailing))
		for _, r := range c.StillFailing {
			fmt.Fprintf(&b, "  %s\n", r.Key())
		}
	}
	if len(c.New) > 0 {
		fmt.Fprintf(&b, "new: %d cell(s) not in the baseline:\n", len(c.New))
		for _, r := range c.New {
			fmt.Fprintf(&b, "  %s: %s\n", r.Key(), r.Outcome)
		}
	}
	if len(c.Fixed) > 0 {
		fmt.Fprintf(&b, "newly passing: %d cell(s):\n", len(c.Fixed))
		for _, r := range c.Fixed {
			fmt.Fprintf(&b, "  %s: was not pass, now pass\n", r.Key())
		}
	}
	if len(c.New) > 0 || len(c.Fixed) > 0 {
		fmt.Fprintf(&b, "the baseline is behind the matrix: run `%s` to record it in %s, and commit it\n", UpdateCommand, baselinePath)
	}
	if c.OK() {
		b.WriteString("gate: PASS (no cell regressed against the baseline)\n")
	} else {
		fmt.Fprintf(&b, "gate: FAIL (%d regression(s), %d vanished cell(s), %d failure(s) outside the matrix)\n", len(c.Regressions), len(c.Vanished), len(c.Strays))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
