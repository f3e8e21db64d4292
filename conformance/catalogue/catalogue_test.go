package catalogue

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	. "github.com/tcpbed/tcpbed/conformance"
)

// TestListNamesEveryScenarioOnce: the catalogue's order (catalogue.go) is
// the one place that says where a scenario stands.
func TestListNamesEveryScenarioOnce(t *testing.T) {
	files, _ := filepath.Glob("catalogue.go")
	f, err := parser.ParseFile(token.NewFileSet(), files[0], nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	listedNames := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "List" {
			return true
		}
		for _, arg := range call.Args {
			if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				name, _ := strconv.Unquote(lit.Value)
				listedNames[name]++
			}
		}
		return false
	})
	for _, s := range All() {
		if s.Profile != "" {
			continue // a profile's copy stands beside its scenario
		}
		if listedNames[s.Name] != 1 {
			t.Errorf("scenario %s is named %d times in catalogue.go, want once", s.Name, listedNames[s.Name])
		}
		delete(listedNames, s.Name)
	}
	for name := range listedNames {
		t.Errorf("catalogue.go names %q, which is not registered", name)
	}
}

// TestEachScenarioLivesInItsSectionsFile: a scenario is defined in a file
// whose name starts with its section (hyphens dropped: "time-wait" lives in
// timewait*.go), so that a reader finds it in one guess.
func TestEachScenarioLivesInItsSectionsFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "Scenario" {
				return true
			}
			for _, el := range lit.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok || kv.Key.(*ast.Ident).Name != "Section" {
					continue
				}
				b, ok := kv.Value.(*ast.BasicLit)
				if !ok {
					continue
				}
				section, _ := strconv.Unquote(b.Value)
				found++
				if prefix := strings.ReplaceAll(section, "-", ""); !strings.HasPrefix(file, prefix) {
					t.Errorf("%s defines a scenario of section %q: it belongs in %s*.go", file, section, prefix)
				}
			}
			return true
		})
	}
	if found < len(All())/4 {
		t.Fatalf("found %d scenario definitions: the check saw too few to prove anything", found)
	}
}

// rfcEntry is the form of a Scenario's RFCs entry: "RFC 9293" or "RFC 9293
// 3.10.7.4", a section as dotted digits and nothing more.
var rfcEntry = regexp.MustCompile(`^RFC \d{3,4}( \d+(\.\d+)*)?$`)

// TestSummariesAreOneShortLineAndCiteRFCs: tcpbed list prints a summary on
// one line, so it says in brief what happens and what is expected (the
// whole expectation is the scenario's comment); the rules it checks are in
// RFCs, one section an entry, for list --rfc to filter on.
func TestSummariesAreOneShortLineAndCiteRFCs(t *testing.T) {
	const maxSummary = 90
	for _, s := range All() {
		if s.Profile != "" {
			continue // a profile's copy extends its scenario's summary
		}
		switch {
		case s.Summary == "":
			t.Errorf("scenario %s: want a one-line summary, found none", s.Name)
		case strings.Contains(s.Summary, "\n"):
			t.Errorf("scenario %s: want a summary on one line, found a newline in %q", s.Name, s.Summary)
		case utf8.RuneCountInString(s.Summary) > maxSummary:
			t.Errorf("scenario %s: want a summary of at most %d characters, found %d: %q", s.Name, maxSummary, utf8.RuneCountInString(s.Summary), s.Summary)
		}
		if len(s.RFCs) == 0 {
			t.Errorf("scenario %s: want the RFC sections it checks in RFCs, found none", s.Name)
		}
		seen := map[string]bool{}
		for _, r := range s.RFCs {
			if !rfcEntry.MatchString(r) {
				t.Errorf("scenario %s: want each RFCs entry as \"RFC <number> [<section>]\" (%s), found %q", s.Name, rfcEntry, r)
			}
			if seen[r] {
				t.Errorf("scenario %s: want each RFCs entry once, found %q twice in %q", s.Name, r, s.RFCs)
			}
			seen[r] = true
		}
	}
}
