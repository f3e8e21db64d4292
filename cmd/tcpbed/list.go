package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tcpbed/tcpbed/conformance"
)

// list prints the catalogue, one scenario a line: those that check a rule
// of the RFC section rfc, or all when rfc is "".
func list(w io.Writer, rfc string) int {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSECTION\tSUMMARY\tRFC")
	for _, s := range conformance.All() {
		if rfc != "" && !s.Checks(rfc) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Section, s.Summary, strings.Join(s.RFCs, ", "))
	}
	if err := tw.Flush(); err != nil {
		return exitFail
	}
	return exitPass
}

// deviations prints the registered peer deviations, a paragraph each.
func deviations(w io.Writer) int {
	for _, d := range conformance.KnownDeviations() {
		text := fmt.Sprintf("%s (%s; %s)\n  the RFC expects: %s\n  %s instead: %s\n", d.Name, d.Peer, d.RFC, d.Expected, d.Peer, d.Instead)
		if d.Source != "" {
			text += "  in its code: " + d.Source + "\n"
		}
		if d.Shown != "" {
			text += "  shown by: " + d.Shown + "\n"
		}
		if _, err := fmt.Fprintln(w, text); err != nil {
			return exitFail
		}
	}
	return exitPass
}
