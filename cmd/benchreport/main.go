// Command benchreport prints `go test -bench` output from the bench and
// fuzz packages as one table of ratios to the gvisor<->gvisor control and to
// the two anchors measured in the same run (gvisor-raw: gVisor outside the
// harness; linux-loopback: the kernel's TCP on 127.0.0.1), with the
// harness's own cost (gvisor<->gvisor inside over gvisor-raw outside), and
// marks each of ourstack's targets met or not. With -conformance it adds
// the conformance matrix's wall time from a Ginkgo JSON report, and with
// -fuzz FuzzInterop's rate from the output of a go test -fuzz run, each
// judged against its target.
//
//	go test -run '^$' -bench . ./bench ./fuzz > out/bench/bench.txt
//	go run ./cmd/benchreport -conformance out/bench/conformance.json -fuzz out/bench/fuzz.txt out/bench/bench.txt
//
// It exits 1 when a figure is missing (a benchmark failed, was skipped or
// was not run; an anchor's too),
// and, with -strict, when a target is not met.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tcpbed/tcpbed/bench"
)

func main() {
	conformance := flag.String("conformance", "", "a Ginkgo JSON report of the conformance matrix, for its wall time")
	fuzz := flag.String("fuzz", "", "the output of go test -fuzz=^FuzzInterop$, for its rate")
	strict := flag.Bool("strict", false, "exit 1 when a target is not met")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: benchreport [-conformance report.json] [-fuzz fuzz-output] [-strict] [bench-output ...]\n(no file: standard input)\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, flag.Args(), *conformance, *fuzz, *strict); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, files []string, conformance, fuzz string, strict bool) error {
	results := bench.Figures{}
	read := func(r io.Reader) error {
		figs, err := bench.ParseBenchOutput(r)
		if err != nil {
			return err
		}
		results.Merge(figs)
		return nil
	}
	if len(files) == 0 {
		if err := read(os.Stdin); err != nil {
			return err
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	size, err := bench.BulkSize()
	if err != nil {
		return err
	}
	conns, err := bench.Conns()
	if err != nil {
		return err
	}
	cells := bench.Evaluate(bench.ReportFigures(size, conns), results)
	met, targets, err := bench.WriteTable(w, cells)
	if err != nil {
		return err
	}
	// The matrix's time and the fuzzer's rate come from files of their
	// own, each judged against its target.
	for _, extra := range []struct {
		path string
		read func(io.Reader) (judged, error)
	}{
		{conformance, func(r io.Reader) (judged, error) { return bench.ReadMatrixTimes(r) }},
		{fuzz, func(r io.Reader) (judged, error) { return bench.ReadFuzzLog(r) }},
	} {
		if extra.path == "" {
			continue
		}
		f, err := os.Open(extra.path)
		if err != nil {
			return err
		}
		j, err := extra.read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", extra.path, err)
		}
		fmt.Fprintln(w)
		if err := j.WriteTable(w); err != nil {
			return err
		}
		targets++
		if j.Verdict() == bench.Met {
			met++
		}
	}
	fmt.Fprintf(w, "\ntargets met: %d of %d\n", met, targets)
	missing := 0
	for _, c := range cells {
		if c.Verdict == bench.Missing {
			missing++
		}
	}
	switch {
	case missing > 0:
		return fmt.Errorf("%d figures missing: a benchmark failed or did not run", missing)
	case strict && met < targets:
		return fmt.Errorf("%d targets not met", targets-met)
	}
	return nil
}

// judged is a figure read from a file of its own (bench.MatrixTimes,
// bench.FuzzRate), with its verdict.
type judged interface {
	WriteTable(io.Writer) error
	Verdict() bench.Verdict
}
