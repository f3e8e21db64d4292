package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Flake is a cell whose verdict was not the same in every run.
type Flake struct {
	Key string
	// Outcomes counts the runs that ended each way.
	Outcomes map[Outcome]int
	// FirstFailure is the first failing run's reason, to start from.
	FirstFailure string
}

// Flakes compares the cells of several runs of one matrix and returns
// every cell whose outcome changed from run to run, or that a run lacked,
// in key order.
func Flakes(runs [][]Cell) []Flake {
	byKey := map[string]*Flake{}
	seen := map[string]int{}
	for _, cells := range runs {
		for _, c := range cells {
			f := byKey[c.Key()]
			if f == nil {
				f = &Flake{Key: c.Key(), Outcomes: map[Outcome]int{}}
				byKey[c.Key()] = f
			}
			f.Outcomes[c.Outcome]++
			if c.Outcome == Fail && f.FirstFailure == "" {
				f.FirstFailure = c.Reason
			}
			seen[c.Key()]++
		}
	}
	var out []Flake
	for key, f := range byKey {
		if len(f.Outcomes) > 1 || seen[key] != len(runs) {
			out = append(out, *f)
		}
	}
	slices.SortFunc(out, func(a, b Flake) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// WriteFlakes prints the result of comparing runs matrix runs.
func WriteFlakes(w io.Writer, runs int, flakes []Flake) error {
	if len(flakes) == 0 {
		_, err := fmt.Fprintf(w, "flake hunt: %d runs, no cell changed its verdict\n", runs)
		return err
	}
	if _, err := fmt.Fprintf(w, "flake hunt: %d runs, %d cell(s) changed their verdict:\n", runs, len(flakes)); err != nil {
		return err
	}
	for _, f := range flakes {
		var parts []string
		for _, o := range []Outcome{Pass, Fail, Skip} {
			if n := f.Outcomes[o]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, o))
			}
		}
		missing := runs
		for _, n := range f.Outcomes {
			missing -= n
		}
		if missing > 0 {
			parts = append(parts, fmt.Sprintf("%d absent", missing))
		}
		line := fmt.Sprintf("  %s: %s", f.Key, strings.Join(parts, ", "))
		if f.FirstFailure != "" {
			line += "\n    first failure: " + f.FirstFailure
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
