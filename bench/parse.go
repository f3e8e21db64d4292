package bench

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Figures are benchmark results read from `go test -bench` output: for each
// benchmark (its name without the "Benchmark" prefix and the -GOMAXPROCS
// suffix: "Bulk/mtu=1500/ours-gvisor"), for each GOMAXPROCS it ran at
// (go test -cpu), each unit's values, one per run (-count runs give
// several).
type Figures map[string]map[int]map[string][]float64

// procsSuffix is the -GOMAXPROCS suffix go test puts on a benchmark's name
// (none when GOMAXPROCS is 1).
var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// ParseBenchOutput reads `go test -bench` output. Lines other than result
// lines ("BenchmarkX-2  1  123 ns/op  45.6 MB/s") are skipped, so the
// output of several packages and of -v can be fed in whole.
func ParseBenchOutput(r io.Reader) (Figures, error) {
	figs := Figures{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line ("BenchmarkX ... --- FAIL", a log line)
		}
		name, procs := strings.TrimPrefix(f[0], "Benchmark"), 1
		if m := procsSuffix.FindStringSubmatchIndex(name); m != nil {
			procs, _ = strconv.Atoi(name[m[2]:m[3]])
			name = name[:m[0]]
		}
		units := figs.runs(name, procs)
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bench output line %d: %q is not a number (%s)", line, f[i], f[0])
			}
			units[f[i+1]] = append(units[f[i+1]], v)
		}
	}
	return figs, sc.Err()
}

// runs is the values of benchmark name at GOMAXPROCS procs, made if new.
func (f Figures) runs(name string, procs int) map[string][]float64 {
	if f[name] == nil {
		f[name] = map[int]map[string][]float64{}
	}
	if f[name][procs] == nil {
		f[name][procs] = map[string][]float64{}
	}
	return f[name][procs]
}

// Median is the median of benchmark name's values in unit at GOMAXPROCS
// procs (the mean of the middle two for an even count), and how many runs
// gave one. A median, not a mean: one run slowed by other work on the
// machine should not move it.
func (f Figures) Median(name, unit string, procs int) (median float64, runs int) {
	vs := slices.Clone(f[name][procs][unit])
	if len(vs) == 0 {
		return 0, 0
	}
	slices.Sort(vs)
	mid := len(vs) / 2
	if len(vs)%2 == 0 {
		return (vs[mid-1] + vs[mid]) / 2, len(vs)
	}
	return vs[mid], len(vs)
}

// Best is benchmark name's figure in unit at the GOMAXPROCS that gave the
// best median (the highest when higher is better, else the lowest): each
// pairing and each anchor is judged as its best configuration runs it, so
// that no side of a ratio is handicapped by a setting the other was not.
// (On this 2-core machine two gVisor stacks on their own move twice the
// bytes per CPU-second at GOMAXPROCS 1 as at 2: every goroutine handoff
// wakes an idle P that spins and finds nothing.) procs is that GOMAXPROCS,
// of measured settings.
func (f Figures) Best(name, unit string, higher bool) (best float64, runs, procs, measured int) {
	for p := range f[name] {
		m, n := f.Median(name, unit, p)
		if n == 0 {
			continue
		}
		measured++
		better := m > best
		if !higher {
			better = m < best
		}
		if runs == 0 || better || m == best && p < procs {
			best, runs, procs = m, n, p
		}
	}
	return best, runs, procs, measured
}

// Merge adds every value of g to f.
func (f Figures) Merge(g Figures) {
	for name, byProcs := range g {
		for procs, units := range byProcs {
			into := f.runs(name, procs)
			for unit, vs := range units {
				into[unit] = append(into[unit], vs...)
			}
		}
	}
}
