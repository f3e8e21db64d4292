package fuzz

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
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

	"github.com/tcpbed/tcpbed/fuzz/corpus"
)

// The ClusterFuzzLite and OSS-Fuzz build (.clusterfuzzlite/build.sh)
// against the fuzz targets of the whole repository. make fuzz-libfuzzer
// builds and runs them for real; these tests catch, without clang, what
// would break that build.

// repoRoot is the repository, from this package's directory.
const repoRoot = ".."

// repoFuzzTargets finds every fuzz target go test would run.
func repoFuzzTargets(t *testing.T) []corpus.Target {
	t.Helper()
	targets, err := corpus.Targets(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) == 0 {
		t.Fatal("found no fuzz targets")
	}
	return targets
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
	seen := map[string]corpus.Target{}
	for _, ft := range repoFuzzTargets(t) {
		if other, ok := seen[ft.Name]; ok {
			t.Errorf("%s is declared in %s and in %s: ClusterFuzzLite names each binary after its target, so two would collide", ft.Name, other.File, ft.File)
		}
		seen[ft.Name] = ft
		if dirs := lines[ft.Name]; !slices.Equal(dirs, []string{ft.Dir}) {
			t.Errorf("%s (%s): .clusterfuzzlite/build.sh has %q for it, want the one line\n\tfuzz_target %s %s", ft.Name, ft.File, dirs, ft.Dir, ft.Name)
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
		if strings.HasSuffix(ft.Package, "_test") {
			t.Errorf("%s: %s is in package %s; a libFuzzer build needs the package's own", ft.Name, ft.File, ft.Package)
		}
		// compile_native_go_fuzzer finds the target's file with
		// grep -r -l --include='*.go' NAME over the package directory.
		var files []string
		filepath.WalkDir(filepath.Join(repoRoot, ft.Dir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
				if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(ft.Name)) {
					rel, _ := filepath.Rel(repoRoot, path)
					files = append(files, filepath.ToSlash(rel))
				}
			}
			return nil
		})
		if !slices.Equal(files, []string{ft.File}) {
			t.Errorf("%s is named in %v: compile_native_go_fuzzer searches %s/ for the name and wants one .go file, %s; name it elsewhere by its file or body", ft.Name, files, ft.Dir, ft.File)
		}
		// The seed corpus ClusterFuzzLite starts from, which build.sh
		// converts: it must exist and convert.
		dir := filepath.Join(repoRoot, filepath.FromSlash(ft.Corpus()))
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			t.Errorf("%s has no committed corpus in %s (err %v); commit its f.Add seeds there (see TestSeedCorpus)", ft.Name, dir, err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err == nil {
				var vals []any
				if vals, err = corpus.Unmarshal(data); err == nil {
					_, err = corpus.LibFuzzerInput(vals...)
				}
				if err == nil && len(vals) != len(ft.Args) {
					err = fmt.Errorf("%d values for %d arguments", len(vals), len(ft.Args))
				}
			}
			if err != nil {
				t.Errorf("%s: %s: %v", ft.Name, e.Name(), err)
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
		t.Run(ft.Name, func(t *testing.T) {
			src := filepath.Join(repoRoot, ft.File)
			rewritten, err := asLibFuzzerSeesIt(src)
			if err != nil {
				t.Fatal(err)
			}
			abs, err := filepath.Abs(src)
			if err != nil {
				t.Fatal(err)
			}
			overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {abs + "_fuzz.go": writeTemp(t, rewritten)}})
			cmd := exec.Command(goTool, "build", "-tags", "gofuzz_libfuzzer,libfuzzer,gofuzz", "-overlay", writeTemp(t, overlay), "./"+ft.Dir)
			cmd.Dir = repoRoot
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s does not build without the package's other test files, as a libFuzzer build compiles it: %v\n%s", ft.File, err, out)
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

// make fuzz-libfuzzer links scripts/oss-fuzz/sigonstack.c into every
// binary, as OSS-Fuzz links its gosigfuzz.o: without it libFuzzer's
// SIGALRM handler runs on goroutine stacks and corrupts the Go heap (the
// README's fuzzing section says how). The shim sets SA_ONSTACK on the
// signals libFuzzer handles, and must not touch those the Go runtime
// handles itself in a c-archive, which it may be installing meanwhile.
func TestLocalLinkKeepsLibFuzzerOffGoroutineStacks(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "fuzz-libfuzzer.sh"))
	if err != nil {
		t.Fatal(err)
	}
	compile := regexp.MustCompile(`(?m)^"\$clang" -c -o "(\S+)" "\$root/scripts/oss-fuzz/sigonstack\.c"$`).FindSubmatch(script)
	if compile == nil {
		t.Fatal("scripts/fuzz-libfuzzer.sh does not compile scripts/oss-fuzz/sigonstack.c")
	}
	var engines []string
	for _, m := range regexp.MustCompile(`(?m)^export LIB_FUZZING_ENGINE="?([^"\n]*)"?$`).FindAllSubmatch(script, -1) {
		engines = append(engines, string(m[1]))
	}
	if len(engines) != 1 || !slices.Equal(strings.Fields(engines[0]), []string{"-fsanitize=fuzzer", string(compile[1])}) {
		t.Errorf("scripts/fuzz-libfuzzer.sh sets LIB_FUZZING_ENGINE to %q, want \"-fsanitize=fuzzer %s\"", engines, compile[1])
	}

	shim, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "oss-fuzz", "sigonstack.c"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(shim, []byte("int LLVMFuzzerInitialize(int *argc, char ***argv)")) || !bytes.Contains(shim, []byte("|= SA_ONSTACK")) {
		t.Error("sigonstack.c no longer adds SA_ONSTACK in LLVMFuzzerInitialize")
	}
	list := regexp.MustCompile(`(?s)libfuzzer_signals\[\] = \{(.*?)\};`).FindSubmatch(shim)
	if list == nil {
		t.Fatal("sigonstack.c has no libfuzzer_signals list")
	}
	var signals []string
	for _, s := range strings.Split(string(list[1]), ",") {
		if s = strings.TrimSpace(s); s != "" {
			signals = append(signals, s)
		}
	}
	if !slices.Contains(signals, "SIGALRM") {
		t.Errorf("sigonstack.c leaves out SIGALRM, the -timeout check's signal: %q", signals)
	}
	for _, goOwn := range []string{"SIGSEGV", "SIGBUS", "SIGFPE", "SIGPIPE", "SIGURG"} {
		if slices.Contains(signals, goOwn) {
			t.Errorf("sigonstack.c rewrites %s, whose handler the Go runtime installs itself", goOwn)
		}
	}
}
