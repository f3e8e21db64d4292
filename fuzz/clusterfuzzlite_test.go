package fuzz

import (
	"bufio"
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tcpbed/tcpbed/fuzz/corpus"
)

// The ClusterFuzzLite and OSS-Fuzz build (.clusterfuzzlite/build.sh)
// against the fuzz targets of the whole repository. make fuzz-libfuzzer
// builds and runs them for real; these tests catch, without clang, what
// would break that build.

// repoRoot is the repository, from this package's directory.
const repoRoot = ".."

// fuzzTarget is a func FuzzXxx(f *testing.F) somewhere in the repository.
type fuzzTarget struct {
	name string
	dir  string // the package's directory, slash-separated from the root
	file string // the _test.go file that declares it, from the root
	pkg  string // that file's package clause
}

// repoFuzzTargets finds every fuzz target go test would run.
func repoFuzzTargets(t *testing.T) []fuzzTarget {
	t.Helper()
	var targets []fuzzTarget
	fset := token.NewFileSet()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != repoRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || path == filepath.Join(repoRoot, "out")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Recv == nil && isFuzzName(fn.Name.Name) && takesTestingF(fn) {
				rel, _ := filepath.Rel(repoRoot, path)
				targets = append(targets, fuzzTarget{
					name: fn.Name.Name, dir: filepath.ToSlash(filepath.Dir(rel)), file: filepath.ToSlash(rel), pkg: f.Name.Name,
				})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) == 0 {
		t.Fatal("found no fuzz targets")
	}
	return targets
}

// isFuzzName is go test's rule: Fuzz, then nothing or no lower-case letter.
func isFuzzName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Fuzz")
	if !ok {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || !unicode.IsLower(r)
}

func takesTestingF(fn *ast.FuncDecl) bool {
	params := fn.Type.Params.List
	if len(params) != 1 || len(params[0].Names) > 1 {
		return false
	}
	star, ok := params[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == "testing" && sel.Sel.Name == "F"
}

// buildScriptTargets reads build.sh's fuzz_target DIR FUNC lines.
func buildScriptTargets(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".clusterfuzzlite", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^fuzz_target\s+(\S+)\s+(\S+)\s*$`)
	lines := map[string][]string{} // name -> the dirs it is built from
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			lines[m[2]] = append(lines[m[2]], m[1])
		}
	}
	return lines
}

// Every fuzz target in the repository has its line in build.sh, and every
// line there is a target: a new target without one fails here.
func TestBuildScriptNamesEveryTarget(t *testing.T) {
	lines := buildScriptTargets(t)
	seen := map[string]fuzzTarget{}
	for _, ft := range repoFuzzTargets(t) {
		if other, ok := seen[ft.name]; ok {
			t.Errorf("%s is declared in %s and in %s: ClusterFuzzLite names each binary after its target, so two would collide", ft.name, other.file, ft.file)
		}
		seen[ft.name] = ft
		if dirs := lines[ft.name]; !slices.Equal(dirs, []string{ft.dir}) {
			t.Errorf("%s (%s): .clusterfuzzlite/build.sh has %q for it, want the one line\n\tfuzz_target %s %s", ft.name, ft.file, dirs, ft.dir, ft.name)
		}
	}
	for name := range lines {
		if _, ok := seen[name]; !ok {
			t.Errorf(".clusterfuzzlite/build.sh builds %s, which is no fuzz target of the repository", name)
		}
	}
}

// What compile_native_go_fuzzer needs of a target besides its build line.
func TestTargetsSuitCompileNativeGoFuzzer(t *testing.T) {
	for _, ft := range repoFuzzTargets(t) {
		// go-118-fuzz-build turns the _test.go file into a file of the
		// package itself, which an external test package cannot be.
		if strings.HasSuffix(ft.pkg, "_test") {
			t.Errorf("%s: %s is in package %s; a libFuzzer build needs the package's own", ft.name, ft.file, ft.pkg)
		}
		// compile_native_go_fuzzer finds the target's file with
		// grep -r -l --include='*.go' NAME over the package directory.
		var files []string
		filepath.WalkDir(filepath.Join(repoRoot, ft.dir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
				if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(ft.name)) {
					rel, _ := filepath.Rel(repoRoot, path)
					files = append(files, filepath.ToSlash(rel))
				}
			}
			return nil
		})
		if !slices.Equal(files, []string{ft.file}) {
			t.Errorf("%s is named in %v: compile_native_go_fuzzer searches %s/ for the name and wants one .go file, %s; name it elsewhere by its file or body", ft.name, files, ft.dir, ft.file)
		}
		// The seed corpus ClusterFuzzLite starts from, which build.sh
		// converts: it must exist and convert.
		dir := filepath.Join(repoRoot, ft.dir, "testdata", "fuzz", ft.name)
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			t.Errorf("%s has no committed corpus in %s (err %v); commit its f.Add seeds there (see TestSeedCorpus)", ft.name, dir, err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err == nil {
				var vals []any
				if vals, err = corpus.Unmarshal(data); err == nil {
					_, err = corpus.LibFuzzerInput(vals...)
				}
			}
			if err != nil {
				t.Errorf("%s: %s: %v", ft.name, e.Name(), err)
			}
		}
	}
}

// Each target builds the way go-118-fuzz-build builds it: its _test.go
// file becomes a plain file of the package, importing the tool's testing
// package in place of the standard one, and no other _test.go file is
// compiled. A target whose wrapper calls a helper from another test file,
// or passes its *testing.T where the stand-in does not fit, fails here.
func TestTargetsBuildWithoutTheirTestFiles(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	for _, ft := range repoFuzzTargets(t) {
		t.Run(ft.name, func(t *testing.T) {
			src := filepath.Join(repoRoot, ft.file)
			rewritten, err := asLibFuzzerSeesIt(src)
			if err != nil {
				t.Fatal(err)
			}
			abs, err := filepath.Abs(src)
			if err != nil {
				t.Fatal(err)
			}
			overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {abs + "_fuzz.go": writeTemp(t, rewritten)}})
			cmd := exec.Command(goTool, "build", "-tags", "gofuzz_libfuzzer,libfuzzer,gofuzz", "-overlay", writeTemp(t, overlay), "./"+ft.dir)
			cmd.Dir = repoRoot
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s does not build without the package's other test files, as a libFuzzer build compiles it: %v\n%s", ft.file, err, out)
			}
		})
	}
}

// asLibFuzzerSeesIt is go-118-fuzz-build's rewrite of a target's file:
// the import of "testing" becomes one of its own testing package.
func asLibFuzzerSeesIt(path string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "testing" {
			imp.Name = ast.NewIdent("testing")
			imp.Path.Value = strconv.Quote("github.com/AdamKorcz/go-118-fuzz-build/testing")
		}
	}
	var b bytes.Buffer
	err = printer.Fprint(&b, fset, f)
	return b.Bytes(), err
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "overlay")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// The Dockerfile brings the Go that go.mod asks for.
func TestDockerfileGoVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	docker, err := os.ReadFile(filepath.Join(repoRoot, ".clusterfuzzlite", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	got := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)$`).FindSubmatch(docker)
	if want == nil || got == nil || string(got[1]) != string(want[1]) {
		t.Errorf(".clusterfuzzlite/Dockerfile installs Go %q, go.mod asks for %q", got, want)
	}
}
