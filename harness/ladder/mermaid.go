package ladder

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/tcpbed/tcpbed/harness"
)

// Mermaid writes the diagram as a Mermaid sequence diagram in a fenced
// block, for pasting into Markdown. Lost segments end in a cross (-x),
// corrupted ones are dotted crosses (--x), duplicates dotted arrows.
func (d *Diagram) Mermaid(out io.Writer) error {
	w := bufio.NewWriter(out)
	w.WriteString("```mermaid\nsequenceDiagram\n")
	fmt.Fprintf(w, "    participant C as %s\n", mermaidText(d.Options.Client))
	fmt.Fprintf(w, "    participant S as %s\n", mermaidText(d.Options.Server))
	// Walk the rows in order; an arrow is written at its send row (Mermaid
	// draws arrows horizontally, so it cannot show time on the wire).
	byRow := map[int][]string{}
	for _, s := range d.States {
		byRow[s.Row] = append(byRow[s.Row], fmt.Sprintf("    Note over %s: %s%s", mermaidSide(s.Side), s.State, s.Conn))
	}
	for _, b := range d.Brackets {
		label := "TIME-WAIT: 2MSL = " + FormatDuration(b.Duration) + " until the next line"
		if b.Open {
			label = "TIME-WAIT: still held when the run ended"
		}
		byRow[b.FromRow] = append(byRow[b.FromRow], fmt.Sprintf("    Note over %s: %s", mermaidSide(b.Side), label))
	}
	for _, g := range d.Gaps {
		byRow[g.AfterRow] = append(byRow[g.AfterRow], fmt.Sprintf("    Note over C,S: %s later", FormatDuration(g.Duration)))
	}
	for _, o := range d.Omissions {
		byRow[o.Row] = append(byRow[o.Row], fmt.Sprintf("    Note over C,S: %d segments not drawn (%s to %s)", o.Count, FormatClock(o.From), FormatClock(o.To)))
	}
	for _, a := range d.Arrows {
		arrow := "->>"
		switch a.Record.Fate {
		case harness.Dropped, harness.QueueDropped:
			arrow = "-x"
		case harness.Corrupted:
			arrow = "--x"
		case harness.Duplicated:
			arrow = "-->>"
		}
		byRow[a.SentRow] = append(byRow[a.SentRow], fmt.Sprintf("    %s%s%s: %s %s",
			mermaidSide(a.From), arrow, mermaidSide(a.From.Other()), FormatClock(a.Record.At), mermaidText(a.Label)))
	}
	for row := range d.RowTimes {
		for _, line := range byRow[row] {
			w.WriteString(line)
			w.WriteString("\n")
		}
	}
	w.WriteString("```\n")
	return w.Flush()
}

func mermaidSide(s harness.Side) string {
	if s == harness.Client {
		return "C"
	}
	return "S"
}

// mermaidText keeps a label from being read as Mermaid syntax: ';' ends a
// statement and '#' starts an entity code.
func mermaidText(s string) string {
	return strings.NewReplacer(";", ",", "#", "no.", "\n", " ").Replace(s)
}
