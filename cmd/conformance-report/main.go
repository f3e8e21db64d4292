// Command conformance-report reads the conformance matrix's Ginkgo JSON
// report and tells what it says:
//
//	conformance-report summary REPORT.json           the table, scenario by pairing; exit 1 if a cell failed
//	conformance-report gate [-baseline FILE] REPORT.json
//	                                                 compare with the baseline; exit 1 on a regression or a vanished cell
//	conformance-report update-baseline [-baseline FILE] [-accept-regressions] REPORT.json
//	                                                 rewrite the baseline from the report; it refuses to
//	                                                 record a regression (pass -> fail) unless told to
//	conformance-report flakes REPORT.json...         compare runs of one matrix; exit 1 if any cell's
//	                                                 verdict changed from run to run
//
// Exit status 2 means the arguments or the files were wrong.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tcpbed/tcpbed/conformance/report"
)

const (
	exitOK      = 0
	exitFailed  = 1
	exitBadArgs = 2
)

const defaultBaseline = "conformance/baseline.txt"

const usage = `usage:
  conformance-report summary REPORT.json
  conformance-report gate [-baseline FILE] REPORT.json
  conformance-report update-baseline [-baseline FILE] [-accept-regressions] REPORT.json
  conformance-report flakes REPORT.json...
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadArgs
	}
	fs := flag.NewFlagSet("conformance-report "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseline := fs.String("baseline", defaultBaseline, "the committed baseline `FILE`")
	acceptRegressions := fs.Bool("accept-regressions", false, "update-baseline: record cells that passed in the baseline and fail now as failing")
	if err := fs.Parse(args[1:]); err != nil {
		return exitBadArgs
	}
	if args[0] == "flakes" {
		return flakes(fs.Args(), stdout, stderr)
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "conformance-report %s: want one report file, got %d\n%s", args[0], fs.NArg(), usage)
		return exitBadArgs
	}
	cells, err := report.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "conformance-report: %v\n", err)
		return exitBadArgs
	}
	reports, _ := report.ReadReports(fs.Arg(0)) // read once already, without error
	strays := report.StrayFailures(reports)
	switch args[0] {
	case "summary":
		return summary(cells, strays, stdout, stderr)
	case "gate":
		return gate(cells, strays, *baseline, stdout, stderr)
	case "update-baseline":
		return updateBaseline(cells, *baseline, *acceptRegressions, stdout, stderr)
	}
	fmt.Fprintf(stderr, "conformance-report: unknown command %q\n%s", args[0], usage)
	return exitBadArgs
}

func summary(cells []report.Cell, strays []string, stdout, stderr io.Writer) int {
	if err := report.WriteSummary(stdout, cells); err != nil {
		fmt.Fprintf(stderr, "conformance-report: %v\n", err)
		return exitBadArgs
	}
	writeStrays(stdout, strays)
	if report.Count(cells).Fail > 0 || len(strays) > 0 {
		return exitFailed
	}
	return exitOK
}

// writeStrays lists failures outside the matrix's cells.
func writeStrays(w io.Writer, strays []string) {
	if len(strays) == 0 {
		return
	}
	fmt.Fprintf(w, "FAILED OUTSIDE THE MATRIX: %d (no baseline covers these; they must pass):\n", len(strays))
	for _, s := range strays {
		fmt.Fprintf(w, "  %s\n", s)
	}
}

func gate(cells []report.Cell, strays []string, baselinePath string, stdout, stderr io.Writer) int {
	f, err := os.Open(baselinePath)
	if err != nil {
		fmt.Fprintf(stderr, "conformance-report gate: %v (write one with make baseline)\n", err)
		return exitBadArgs
	}
	defer f.Close()
	base, err := report.ParseBaseline(f)
	if err != nil {
		fmt.Fprintf(stderr, "conformance-report gate: %s: %v\n", baselinePath, err)
		return exitBadArgs
	}
	cmp := report.Compare(base, cells)
	cmp.Strays = strays
	if err := cmp.Write(stdout, baselinePath); err != nil {
		fmt.Fprintf(stderr, "conformance-report: %v\n", err)
		return exitBadArgs
	}
	if !cmp.OK() {
		return exitFailed
	}
	return exitOK
}

// updateBaseline rewrites the baseline from the report. It refuses to turn
// a pass into a fail or skip unless told to: a regression is fixed, not
// recorded, save on purpose.
func updateBaseline(cells []report.Cell, baselinePath string, acceptRegressions bool, stdout, stderr io.Writer) int {
	if f, err := os.Open(baselinePath); err == nil {
		old, err := report.ParseBaseline(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "conformance-report update-baseline: %s: %v\n", baselinePath, err)
			return exitBadArgs
		}
		if regs := report.Compare(old, cells).Regressions; len(regs) > 0 && !acceptRegressions {
			fmt.Fprintf(stderr, "conformance-report update-baseline: %d cell(s) passed in %s and do not now; fix them, or record them as failing with -accept-regressions (make baseline ACCEPT_REGRESSIONS=1):\n", len(regs), baselinePath)
			for _, r := range regs {
				fmt.Fprintf(stderr, "  %s: now %s\n    replay: %s\n", r.Key(), r.Outcome, r.Replay)
			}
			return exitFailed
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "conformance-report update-baseline: %v\n", err)
		return exitBadArgs
	}
	var b bytes.Buffer
	if err := report.BaselineOf(cells).Write(&b); err != nil {
		fmt.Fprintf(stderr, "conformance-report: %v\n", err)
		return exitBadArgs
	}
	if err := os.WriteFile(baselinePath, b.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stderr, "conformance-report update-baseline: %v\n", err)
		return exitBadArgs
	}
	n := report.Count(cells)
	fmt.Fprintf(stdout, "wrote %s: %d cells (%d pass, %d fail, %d skip); review it with git diff and commit it\n", baselinePath, len(cells), n.Pass, n.Fail, n.Skip)
	return exitOK
}

// flakes compares several runs of the matrix, one report each.
func flakes(files []string, stdout, stderr io.Writer) int {
	if len(files) < 2 {
		fmt.Fprintf(stderr, "conformance-report flakes: want at least two reports, got %d\n%s", len(files), usage)
		return exitBadArgs
	}
	runs := make([][]report.Cell, len(files))
	for i, f := range files {
		cells, err := report.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "conformance-report: %v\n", err)
			return exitBadArgs
		}
		runs[i] = cells
	}
	found := report.Flakes(runs)
	if err := report.WriteFlakes(stdout, len(runs), found); err != nil {
		fmt.Fprintf(stderr, "conformance-report: %v\n", err)
		return exitBadArgs
	}
	if len(found) > 0 {
		return exitFailed
	}
	return exitOK
}
