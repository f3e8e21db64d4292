package corpus

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Target is a fuzz target in a source tree: a func FuzzXxx(f *testing.F)
// in a _test.go file.
type Target struct {
	Name    string
	Dir     string // the package's directory, slash-separated, from the root
	File    string // the _test.go file that declares it, from the root
	Package string // that file's package clause
	// Args are the types of f.Fuzz's function after its *testing.T, or
	// nil when the target calls f.Fuzz with something else.
	Args []reflect.Type
}

// Corpus is the target's corpus directory, from the root.
func (t Target) Corpus() string {
	return t.Dir + "/testdata/fuzz/" + t.Name
}

// Targets finds every fuzz target go test would run under root, leaving
// out testdata, out and hidden directories.
func Targets(root string) ([]Target, error) {
	var targets []Target
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || path == filepath.Join(root, "out")) {
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
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !isFuzzName(fn.Name.Name) || !takesTestingF(fn) {
				continue
			}
			targets = append(targets, Target{
				Name: fn.Name.Name, Dir: filepath.ToSlash(filepath.Dir(rel)), File: filepath.ToSlash(rel),
				Package: f.Name.Name, Args: fuzzArgs(fn),
			})
		}
		return nil
	})
	return targets, err
}

// FindTarget is the target called name under root.
func FindTarget(root, name string) (Target, error) {
	targets, err := Targets(root)
	if err != nil {
		return Target{}, err
	}
	for _, t := range targets {
		if t.Name == name {
			if t.Args == nil {
				return Target{}, fmt.Errorf("%s (%s) does not call f.Fuzz with a function literal", name, t.File)
			}
			return t, nil
		}
	}
	return Target{}, fmt.Errorf("no fuzz target %s under %s", name, root)
}

// isFuzzName is go test's rule: Fuzz, then nothing or no lower-case letter.
func isFuzzName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Fuzz")
	r, _ := utf8.DecodeRuneInString(rest)
	return ok && (rest == "" || !unicode.IsLower(r))
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

// fuzzTypes are the types go test fuzzes, by the names a source file
// gives them.
var fuzzTypes = map[string]reflect.Type{
	"[]byte": reflect.TypeFor[[]byte](), "[]uint8": reflect.TypeFor[[]byte](), "string": reflect.TypeFor[string](),
	"bool": reflect.TypeFor[bool](), "float32": reflect.TypeFor[float32](), "float64": reflect.TypeFor[float64](),
	"byte": reflect.TypeFor[uint8](), "rune": reflect.TypeFor[int32](),
	"int": reflect.TypeFor[int](), "int8": reflect.TypeFor[int8](), "int16": reflect.TypeFor[int16](),
	"int32": reflect.TypeFor[int32](), "int64": reflect.TypeFor[int64](),
	"uint": reflect.TypeFor[uint](), "uint8": reflect.TypeFor[uint8](), "uint16": reflect.TypeFor[uint16](),
	"uint32": reflect.TypeFor[uint32](), "uint64": reflect.TypeFor[uint64](),
}

// fuzzArgs reads the argument types of the function literal fn passes to
// f.Fuzz, or nil.
func fuzzArgs(fn *ast.FuncDecl) []reflect.Type {
	var args []reflect.Type
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if found || !ok || len(call.Args) != 1 {
			return !found
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		lit, isLit := call.Args[0].(*ast.FuncLit)
		if !ok || sel.Sel.Name != "Fuzz" || !isLit {
			return true
		}
		found = true
		var names []string
		for i, field := range lit.Type.Params.List {
			n := max(len(field.Names), 1)
			for range n {
				names = append(names, typeString(field.Type))
			}
			if i == 0 {
				names = names[1:] // the *testing.T
			}
		}
		for _, name := range names {
			t, ok := fuzzTypes[name]
			if !ok {
				args = nil
				return false
			}
			args = append(args, t)
		}
		if args == nil {
			args = []reflect.Type{}
		}
		return false
	})
	return args
}

func typeString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.ArrayType:
		if e.Len == nil {
			return "[]" + typeString(e.Elt)
		}
	}
	return fmt.Sprintf("%T", e)
}
