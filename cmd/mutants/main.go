// Command mutants measures how well the conformance matrix alone catches
// regressions in a TCP stack. A stack brought by a user has none of
// ourstack's unit tests: the matrix is its only gate. So each patch in
// mutants/ plants one small, realistic bug in ourstack, and this command
// applies each to a scratch copy of the repository, runs the matrix (and
// nothing else) there, and reports which cells caught it.
//
//	go run ./cmd/mutants [flags] [mutants/NN-name.patch ...]
//
// A cell catches a mutant when it passes in the baseline
// (conformance/baseline.txt) and in an unmutated control run of the same
// snapshot, and fails under the mutant. The control run keeps a cell that is
// already failing in the working tree (someone is editing conformance/) from
// counting as a kill.
//
// The working tree is copied once, before anything runs, so that every
// mutant sees the same code even while files change under /work/main; the
// repository itself (its files, its git index and HEAD) is never touched.
//
// The table goes to stdout and to -out/report.txt; each mutant's Ginkgo log
// to -out/NAME.log and the cells that caught it, with their failure, to
// -out/NAME.cells. Exit status 1 when the kill rate is below -goal, or when a
// patch no longer applies or builds; 2 for bad arguments.
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/conformance/report"
)

func main() { os.Exit(run()) }

// options are the command's flags.
type options struct {
	dir, baseline, out, labelFilter string
	timeout                         time.Duration
	goal                            float64
	control, keep, check            bool
	patches                         []string
}

func run() int {
	var o options
	flag.StringVar(&o.dir, "dir", "mutants", "the `directory` holding the *.patch mutants")
	flag.StringVar(&o.baseline, "baseline", "conformance/baseline.txt", "the baseline `file`")
	flag.StringVar(&o.out, "out", "out/mutants", "where the report and logs go")
	// Linux cells run on real time and need root and a TUN device; without
	// them the matrix is deterministic (one seed, one run) and faster.
	flag.StringVar(&o.labelFilter, "label-filter", "!linux", "Ginkgo `filter` for the matrix's cells (\"\" runs them all)")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long one matrix run may take (an idle matrix takes about 30 s); past it the mutant counts as caught")
	flag.Float64Var(&o.goal, "goal", 95, "the kill rate, in `percent`, below which the command fails")
	flag.BoolVar(&o.control, "control", true, "run the unmutated matrix first and count only cells that pass there too")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch copies (their path is printed)")
	flag.BoolVar(&o.check, "check", false, "only check that every patch applies and builds; run no matrix")
	flag.Parse()
	o.patches = flag.Args()
	if len(o.patches) == 0 {
		var err error
		if o.patches, err = filepath.Glob(filepath.Join(o.dir, "*.patch")); err != nil || len(o.patches) == 0 {
			fmt.Fprintf(os.Stderr, "mutants: no patches in %s\n", o.dir)
			return 2
		}
	}
	slices.Sort(o.patches)
	if err := runAll(o); err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 1
	}
	return 0
}

// result is one mutant's verdict.
type result struct {
	name    string
	invalid string        // why the patch could not be tried (does not apply or build)
	caught  []report.Cell // cells that caught it, in catalogue order
	took    time.Duration
}

func runAll(o options) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("run from the repository's root: %w", err)
	}
	base, err := readBaseline(inRoot(root, o.baseline))
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "tcpbed-mutants-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("scratch copies under", scratch)
	} else {
		defer os.RemoveAll(scratch)
	}
	outDir := inRoot(root, o.out)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	snapshot := filepath.Join(scratch, "snapshot")
	if err := copyTree(root, snapshot); err != nil {
		return fmt.Errorf("snapshot of the working tree: %w", err)
	}
	start := time.Now()

	reference := map[string]bool{}
	for k, outcome := range base {
		reference[k] = outcome == report.Pass
	}
	if o.control && !o.check {
		fmt.Println("== control: the unmutated matrix")
		cells, err := tryMutant(o, snapshot, filepath.Join(scratch, "control"), "", filepath.Join(outDir, "control.log"))
		if err != nil {
			return fmt.Errorf("the unmutated matrix: %w", err)
		}
		dropFailing(reference, cells)
	}

	reference[crashed("").Key()] = true
	var results []result
	for i, p := range o.patches {
		name := strings.TrimSuffix(filepath.Base(p), ".patch")
		fmt.Printf("== mutant %d of %d: %s\n", i+1, len(o.patches), name)
		t0 := time.Now()
		r := result{name: name}
		patch, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		cells, err := tryMutant(o, snapshot, filepath.Join(scratch, "mutant"), patch, filepath.Join(outDir, name+".log"))
		var inv *invalidError
		switch {
		case errors.As(err, &inv):
			r.invalid = inv.Error()
		case err != nil:
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, c := range cells {
			if c.Outcome == report.Fail && reference[c.Key()] {
				r.caught = append(r.caught, c)
			}
		}
		slices.SortFunc(r.caught, func(a, b report.Cell) int {
			return cmp.Or(cmp.Compare(a.Order, b.Order), strings.Compare(a.Pairing, b.Pairing))
		})
		r.took = time.Since(t0)
		if !o.check {
			if err := writeCells(filepath.Join(outDir, name+".cells"), r.caught); err != nil {
				return err
			}
		}
		fmt.Println("  ", line(r, o.check))
		results = append(results, r)
	}

	table := summary(results, o.check, time.Since(start))
	if !o.check {
		table = header(o, reference) + table
	}
	fmt.Print("\n", table)
	if !o.check {
		if err := os.WriteFile(filepath.Join(outDir, "report.txt"), []byte(table), 0o644); err != nil {
			return err
		}
	}
	return verdict(results, o)
}

// dropFailing takes out of reference (the cells a mutant can be caught by)
// every cell that does not pass in the control run: in the working tree it
// fails already, or it was filtered out.
func dropFailing(reference map[string]bool, control []report.Cell) {
	outcome := map[string]report.Outcome{}
	for _, c := range control {
		outcome[c.Key()] = c.Outcome
	}
	for k := range reference {
		if reference[k] && outcome[k] != report.Pass {
			reference[k] = false
			if outcome[k] == report.Fail {
				fmt.Printf("   %s passes in the baseline but fails in the control run: it catches nothing\n", k)
			}
		}
	}
}

// invalidError says a patch could not be tried at all: it is the
// catalogue's fault, not a survivor.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

// tryMutant copies the snapshot to work, applies patch (none for the control
// run), checks that it builds, and runs the matrix there unless o.check. It
// returns the matrix's cells.
func tryMutant(o options, snapshot, work, patch, logPath string) ([]report.Cell, error) {
	if err := os.RemoveAll(work); err != nil {
		return nil, err
	}
	if err := copyTree(snapshot, work); err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	if patch != "" {
		// git apply, unlike patch(1), refuses a hunk that does not match
		// exactly, so a stale mutant is reported rather than half applied.
		// The scratch copy is no git repository, so it only edits files.
		if out, err := command(work, nil, "git", "apply", "--whitespace=nowarn", patch).CombinedOutput(); err != nil {
			return nil, &invalidError{"does not apply: " + firstLine(string(out))}
		}
	}
	// Mutants only touch ourstack; building it alone is quick, and a
	// failure here is the patch's fault, not a kill.
	if out, err := command(work, nil, "go", "build", "./ourstack/...").CombinedOutput(); err != nil {
		return nil, &invalidError{"does not build: " + firstLine(string(out))}
	}
	if o.check {
		return nil, nil
	}
	outDir := filepath.Join(work, "out")
	args := []string{"tool", "ginkgo", "-p", "--timeout=" + o.timeout.String(), "--no-color", "--silence-skips",
		"--output-dir=" + outDir, "--json-report=mutant.json"}
	if o.labelFilter != "" {
		args = append(args, "--label-filter="+o.labelFilter)
	}
	// The matrix and nothing else: no unit test, no fuzz corpus.
	args = append(args, "./conformance", "--", "-test.run=^TestConformance$")
	cmd := command(work, []string{"TCPBED_OUT=" + outDir}, "go", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// A mutant makes cells fail, so a non-zero exit is expected; the
	// report says what happened. No report at all is an error.
	_ = cmd.Run()
	cells, err := report.ReadFile(filepath.Join(outDir, "mutant.json"))
	if err != nil && patch != "" {
		// The suite itself died before it could report (a cell looping
		// until the machine killed it, or the -timeout): a gate that
		// cannot finish has caught the mutant.
		return []report.Cell{crashed(fmt.Sprintf("no report (%v); log: %s", err, logPath))}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	return cells, nil
}

// crashed is the cell that stands for a matrix that died under a mutant.
func crashed(why string) report.Cell {
	return report.Cell{CellInfo: report.CellInfo{Scenario: "(the whole matrix)", Pairing: "crashed"}, Outcome: report.Fail, Reason: why}
}

// inRoot resolves a path given relative to the repository's root.
func inRoot(root, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(root, path)
}

func command(dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// readBaseline reads the committed baseline.
func readBaseline(path string) (report.Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return report.ParseBaseline(f)
}

// copyTree copies the repository's working tree, uncommitted changes
// included, from src to dst, leaving out .git (the copy must not share the
// repository's metadata), out (reports, pcaps) and test binaries.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() && (rel == ".git" || rel == "out") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(rel, ".test") {
			return nil // a test binary left by a run: large, and rebuilt anyway
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		}
		return nil // sockets, pipes: nothing a build needs
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// firstFew is how many catching cells a table line names.
const firstFew = 3

// line is one mutant's row of the table.
func line(r result, check bool) string {
	switch {
	case r.invalid != "":
		return fmt.Sprintf("%-36s INVALID  %s", r.name, r.invalid)
	case check:
		return fmt.Sprintf("%-36s ok       applies and builds", r.name)
	case len(r.caught) == 0:
		return fmt.Sprintf("%-36s missed   0 cells  (%s)", r.name, r.took.Round(time.Second))
	}
	var names []string
	for _, c := range r.caught[:min(firstFew, len(r.caught))] {
		names = append(names, c.Key())
	}
	more := ""
	if len(r.caught) > firstFew {
		more = ", ..."
	}
	return fmt.Sprintf("%-36s caught %3d cells  (%s): %s%s", r.name, len(r.caught), r.took.Round(time.Second), strings.Join(names, ", "), more)
}

// header says how the table was made: which matrix, and which cells could
// catch a mutant.
func header(o options, reference map[string]bool) string {
	n := 0
	for _, ok := range reference {
		if ok {
			n++
		}
	}
	against := o.baseline
	if o.control {
		against += " and in the unmutated control run"
	}
	return fmt.Sprintf("matrix: go tool ginkgo -p --timeout=%v ./conformance -- -test.run='^TestConformance$', label filter %q\n"+
		"a mutant is caught by a cell that passes in %s and fails under the mutant (%d such cells)\n\n", o.timeout, o.labelFilter, against, n)
}

// summary is the table, the kill rate and the survivors.
func summary(results []result, check bool, took time.Duration) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintln(&b, line(r, check))
	}
	if check {
		return b.String()
	}
	caught, tried := 0, 0
	var survivors, invalid []string
	for _, r := range results {
		switch {
		case r.invalid != "":
			invalid = append(invalid, r.name)
		case len(r.caught) > 0:
			caught++
			tried++
		default:
			tried++
			survivors = append(survivors, r.name)
		}
	}
	fmt.Fprintf(&b, "\n%d of %d mutants caught by the matrix alone (%.1f%%) in %s\n", caught, tried, rate(caught, tried), took.Round(time.Second))
	if len(survivors) > 0 {
		fmt.Fprintf(&b, "survivors: %s\n", strings.Join(survivors, ", "))
	}
	if len(invalid) > 0 {
		fmt.Fprintf(&b, "invalid (fix the patch): %s\n", strings.Join(invalid, ", "))
	}
	return b.String()
}

func rate(caught, tried int) float64 {
	if tried == 0 {
		return 0
	}
	return 100 * float64(caught) / float64(tried)
}

// verdict is the command's error, if any: an invalid patch, or a kill rate
// below the goal.
func verdict(results []result, o options) error {
	caught, tried := 0, 0
	for _, r := range results {
		if r.invalid != "" {
			return fmt.Errorf("%s: %s", r.name, r.invalid)
		}
		tried++
		if len(r.caught) > 0 {
			caught++
		}
	}
	if !o.check && rate(caught, tried) < o.goal {
		return fmt.Errorf("kill rate %.1f%% is below the goal of %.0f%%", rate(caught, tried), o.goal)
	}
	return nil
}

// writeCells lists every cell that caught a mutant with the first line of its
// failure: what the matrix saw of the bug.
func writeCells(path string, cells []report.Cell) error {
	var b strings.Builder
	for _, c := range cells {
		fmt.Fprintf(&b, "%s: %s\n", c.Key(), c.Reason)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	l, _, _ := strings.Cut(s, "\n")
	return l
}
