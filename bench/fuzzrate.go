package bench

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"
)

// FuzzInteropMin is issue 18's target for FuzzInterop under go test -fuzz:
// programs per second, over every worker of the machine.
const FuzzInteropMin = 2000

// FuzzRate is how fast go test -fuzz ran a target, read from its output
// (ReadFuzzLog): what a user of the fuzzer sees, the engine's coverage
// instrumentation and mutator included. The engine counts none of the
// programs it runs to minimize a new input, so make bench runs it with
// minimizing off (-fuzzminimizetime=0s).
type FuzzRate struct {
	Workers int
	// Execs is the last count the engine printed, Fuzzing how long it had
	// fuzzed then, from the end of its baseline coverage on (to the
	// second: the engine prints whole seconds).
	Execs   int64
	Fuzzing time.Duration
}

var (
	fuzzStart = regexp.MustCompile(`^fuzz: elapsed: (\d+)s, .*now fuzzing with (\d+) workers`)
	fuzzExecs = regexp.MustCompile(`^fuzz: elapsed: (\d+)s, execs: (\d+) `)
)

// ReadFuzzLog reads the output of one go test -fuzz run.
func ReadFuzzLog(r io.Reader) (FuzzRate, error) {
	var f FuzzRate
	var start, last int64 = -1, -1
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := fuzzStart.FindStringSubmatch(sc.Text()); m != nil {
			start, _ = strconv.ParseInt(m[1], 10, 64)
			f.Workers, _ = strconv.Atoi(m[2])
			continue
		}
		if m := fuzzExecs.FindStringSubmatch(sc.Text()); m != nil && start >= 0 {
			last, _ = strconv.ParseInt(m[1], 10, 64)
			f.Execs, _ = strconv.ParseInt(m[2], 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return f, err
	}
	if start < 0 || last <= start {
		return f, fmt.Errorf("no fuzzing in the log: want a line \"now fuzzing with N workers\" and a count of execs at least a second after it")
	}
	f.Fuzzing = time.Duration(last-start) * time.Second
	return f, nil
}

// PerSecond is the programs run per second of fuzzing.
func (f FuzzRate) PerSecond() float64 { return float64(f.Execs) / f.Fuzzing.Seconds() }

// Verdict judges f against FuzzInteropMin.
func (f FuzzRate) Verdict() Verdict {
	if f.PerSecond() >= FuzzInteropMin {
		return Met
	}
	return NotMet
}

// WriteTable prints f's rate and verdict.
func (f FuzzRate) WriteTable(w io.Writer) error {
	_, err := fmt.Fprintf(w, "FuzzInterop under go test -fuzz: %d programs in %v of fuzzing with %d workers: %.0f programs/s (target >= %d: %s)\n",
		f.Execs, f.Fuzzing, f.Workers, f.PerSecond(), FuzzInteropMin, f.Verdict())
	return err
}
