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
// suffix: "Bulk/mtu=1500/ours-gvisor"), each unit's values, one per run
// (-count runs give several).
type Figures map[string]map[string][]float64

// procsSuffix is the -GOMAXPROCS suffix go test puts on a benchmark's name.
var procsSuffix = regexp.MustCompile(`-\d+$`)

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
		name := procsSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		if figs[name] == nil {
			figs[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bench output line %d: %q is not a number (%s)", line, f[i], f[0])
			}
			figs[name][f[i+1]] = append(figs[name][f[i+1]], v)
		}
	}
	return figs, sc.Err()
}

// Median is the median of benchmark name's values in unit (the mean of the
// middle two for an even count), and how many runs gave one. A median, not
// a mean: one run slowed by other work on the machine should not move it.
func (f Figures) Median(name, unit string) (median float64, runs int) {
	vs := slices.Clone(f[name][unit])
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

// Merge adds every value of g to f.
func (f Figures) Merge(g Figures) {
	for name, units := range g {
		if f[name] == nil {
			f[name] = map[string][]float64{}
		}
		for unit, vs := range units {
			f[name][unit] = append(f[name][unit], vs...)
		}
	}
}
