package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/tcpbed/tcpbed/conformance"
)

// list prints the catalogue, one scenario a line.
func list(w io.Writer) int {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSECTION\tSUMMARY")
	for _, s := range conformance.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Section, s.Summary)
	}
	if err := tw.Flush(); err != nil {
		return exitFail
	}
	return exitPass
}
