package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Baseline is the committed outcome of every cell: the gate's reference.
// Its file has one cell a line, "scenario pairing outcome", sorted, so that
// a change to it reads as a plain diff.
type Baseline map[string]Outcome

const baselineHeader = `# tcpbed conformance baseline: one cell a line, "scenario pairing pass|fail|skip", sorted.
# The gate (make gate) fails when a cell that passes here fails now, or when a cell
# here is missing from the matrix. Rewrite it with make baseline, never by hand.
`

// BaselineOf is the baseline the cells would make.
func BaselineOf(cells []Cell) Baseline {
	b := Baseline{}
	for _, c := range cells {
		b[c.Key()] = c.Outcome
	}
	return b
}

// ParseBaseline reads a baseline file. Blank lines and lines starting with
// '#' are comments.
func ParseBaseline(r io.Reader) (Baseline, error) {
	b := Baseline{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("baseline line %d: %q: want \"scenario pairing pass|fail|skip\"", n, line)
		}
		o := Outcome(f[2])
		if o != Pass && o != Fail && o != Skip {
			return nil, fmt.Errorf("baseline line %d: outcome %q: want pass, fail or skip", n, f[2])
		}
		if _, _, ok := ParseCellText(f[0] + " " + f[1]); !ok {
			return nil, fmt.Errorf("baseline line %d: %q is not \"scenario client->server\"", n, f[0]+" "+f[1])
		}
		key := CellText(f[0], f[1])
		if _, dup := b[key]; dup {
			return nil, fmt.Errorf("baseline line %d: cell %q listed twice", n, key)
		}
		b[key] = o
	}
	return b, sc.Err()
}

// Write writes the baseline, sorted, with its header.
func (b Baseline) Write(w io.Writer) error {
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var s strings.Builder
	s.WriteString(baselineHeader)
	for _, k := range keys {
		fmt.Fprintf(&s, "%s %s\n", k, b[k])
	}
	_, err := io.WriteString(w, s.String())
	return err
}
