package corpus

import (
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// calls are argument lists that reach every type and every edge of the
// raw layout: empty and full []byte and strings first, between and last,
// extreme integers, odd NaNs, both bools.
var calls = [][]any{
	{[]byte{}},
	{[]byte{0x45, 0, 0, 40}},
	{[]byte("x")},
	{""},
	{"hello"},
	{uint32(0xFFFF_FFF0), uint8(64), []byte{0, 40, 10, 0, 32, 8, 2, 0, 0}},
	{uint32(0), uint8(1), []byte{}},
	{[]byte{}, []byte{}, "", []byte{7}},
	{[]byte{1, 2, 3}, []byte{}, []byte{4}},
	{"", "a", ""},
	{[]byte(strings.Repeat("z", 300)), "tail"},
	{true, false, true},
	{int8(-128), int8(127), uint8(255), int16(-32768), uint16(65535)},
	{int32(-1), rune('é'), int32(math.MaxInt32), uint32(math.MaxUint32)},
	{int(-1), int(math.MinInt64), int64(math.MaxInt64), uint(math.MaxUint64), uint64(1 << 63)},
	{float32(-0.5), float32(math.Inf(1)), float64(math.Inf(-1)), math.Float64frombits(0x7ff8_0000_0000_0001), float64(1e300)},
	{math.Float32frombits(0x7fc0_0001), float64(0), []byte{}},
	{byte('a'), "", []byte{}},
}

// decodeLikeTheHarness decodes raw as a libFuzzer build of a target
// taking the types of want reads it (FromLibFuzzerInput runs
// go-118-fuzz-build's own F.Fuzz), or nil when it would not call the
// target.
func decodeLikeTheHarness(raw []byte, want []any) []any {
	var types []reflect.Type
	for _, v := range want {
		types = append(types, reflect.TypeOf(v))
	}
	got, err := FromLibFuzzerInput(raw, types)
	if err != nil {
		return nil
	}
	return got
}

// sameValues compares argument lists bit for bit (NaNs included) and
// takes an empty []byte for a nil one.
func sameValues(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		switch x := a[i].(type) {
		case float32:
			if y, ok := b[i].(float32); !ok || math.Float32bits(x) != math.Float32bits(y) {
				return false
			}
		case float64:
			if y, ok := b[i].(float64); !ok || math.Float64bits(x) != math.Float64bits(y) {
				return false
			}
		case []byte:
			if y, ok := b[i].([]byte); !ok || string(x) != string(y) {
				return false
			}
		default:
			if a[i] != b[i] {
				return false
			}
		}
	}
	return true
}

func TestLibFuzzerInputDecodesToTheSameArguments(t *testing.T) {
	for _, call := range calls {
		raw, err := LibFuzzerInput(call...)
		if err != nil {
			t.Fatalf("%#v: %v", call, err)
		}
		if got := decodeLikeTheHarness(raw, call); !sameValues(got, call) {
			t.Errorf("%#v\nraw % x\nthe harness calls the target with %#v", call, raw, got)
		}
	}
}

// Random argument lists of random types, as a property.
func TestLibFuzzerInputRandomCalls(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	bytesOf := func() []byte {
		b := make([]byte, r.IntN(4)*r.IntN(40))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	gen := []func() any{
		func() any { return bytesOf() },
		func() any { return string(bytesOf()) },
		func() any { return r.IntN(2) == 0 },
		func() any { return int8(r.Uint32()) },
		func() any { return uint8(r.Uint32()) },
		func() any { return int16(r.Uint32()) },
		func() any { return uint16(r.Uint32()) },
		func() any { return int32(r.Uint32()) },
		func() any { return r.Uint32() },
		func() any { return int(r.Uint64()) },
		func() any { return int64(r.Uint64()) },
		func() any { return uint(r.Uint64()) },
		func() any { return r.Uint64() },
		func() any { return math.Float32frombits(r.Uint32()) },
		func() any { return math.Float64frombits(r.Uint64()) },
	}
	for range 2000 {
		call := make([]any, 1+r.IntN(5))
		for i := range call {
			call[i] = gen[r.IntN(len(gen))]()
		}
		raw, err := LibFuzzerInput(call...)
		if err != nil {
			t.Fatalf("%#v: %v", call, err)
		}
		if got := decodeLikeTheHarness(raw, call); !sameValues(got, call) {
			t.Fatalf("%#v\nraw % x\nthe harness calls the target with %#v", call, raw, got)
		}
	}
}

func TestMarshalUnmarshal(t *testing.T) {
	for _, call := range calls {
		data, err := Marshal(call...)
		if err != nil {
			t.Fatalf("%#v: %v", call, err)
		}
		got, err := Unmarshal(data)
		if err != nil || !sameValues(got, call) {
			t.Errorf("%#v\n%s\nunmarshals to %#v (err %v)", call, data, got, err)
		}
	}
}

// Unmarshal takes what go test takes, as go test writes it or by hand.
func TestUnmarshalLiterals(t *testing.T) {
	for line, want := range map[string]any{
		`byte('\x00')`: byte(0), `byte(65)`: byte(65), `rune('☃')`: '☃', `rune(-1)`: int32(-1), `int32(-7)`: int32(-7),
		`int(-0x10)`: -16, `uint16(0o17)`: uint16(15), `uint64(18446744073709551615)`: uint64(math.MaxUint64),
		`float64(+Inf)`: math.Inf(1), `float64(-Inf)`: math.Inf(-1), `float32(2)`: float32(2),
		`math.Float64frombits(0x7ff8000000000001)`: math.Float64frombits(0x7ff8000000000001),
		`bool(false)`: false, `string("a\nb")`: "a\nb", `[]byte("\xff")`: []byte{0xff},
	} {
		got, err := Unmarshal([]byte(header + "\n" + line + "\n"))
		if err != nil || !sameValues(got, []any{want}) {
			t.Errorf("%s: got %#v (err %v), want %#v", line, got, err, want)
		}
	}
	for _, bad := range []string{`byte('☃')`, `int8(200)`, `float(1)`, `[]int("a")`, `string(1)`, `bool(1)`, `int(1, 2)`, `x`} {
		if got, err := Unmarshal([]byte(header + "\n" + bad + "\n")); err == nil {
			t.Errorf("%s: unmarshals to %#v, want an error", bad, got)
		}
	}
	if _, err := Unmarshal([]byte("go test fuzz v2\nint(1)\n")); err == nil {
		t.Error("another version's file unmarshals")
	}
}

// Every committed corpus file in the repository parses, and marshals back
// to its own bytes: Marshal writes what go test writes.
func TestCommittedCorporaRoundTrip(t *testing.T) {
	root := filepath.Join("..", "..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || path == filepath.Join(root, "out")) {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Base(filepath.Dir(filepath.Dir(path))) != "fuzz" || filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(path)))) != "testdata" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		vals, err := Unmarshal(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		again, err := Marshal(vals...)
		if err != nil || string(again) != string(data) {
			t.Errorf("%s marshals back to\n%s(err %v)", path, again, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("found no corpus files")
	}
}

func TestSync(t *testing.T) {
	dir := t.TempDir()
	seeds := []Seed{{Values: []any{uint32(1), []byte{2}}}, {Name: "named", Values: []any{[]byte("x")}}}
	if err := Sync(dir, seeds, false); err == nil || strings.Count(err.Error(), "missing") != 2 {
		t.Fatalf("empty dir: %v", err)
	}
	if err := Sync(dir, seeds, true); err != nil {
		t.Fatal(err)
	}
	if err := Sync(dir, seeds, false); err != nil {
		t.Fatalf("after writing: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "seed-named"))
	if string(data) != "go test fuzz v1\n[]byte(\"x\")\n" {
		t.Errorf("seed-named holds %q", data)
	}
	// A found input and a hand-kept seed stay; a changed seed's old file goes.
	os.WriteFile(filepath.Join(dir, "0123456789abcdef"), []byte("go test fuzz v1\nuint32(9)\n[]byte(\"\")\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "seed-by-hand"), []byte("go test fuzz v1\nuint32(9)\n[]byte(\"\")\n"), 0o644)
	seeds[0].Values[0] = uint32(2)
	if err := Sync(dir, seeds, false); err == nil || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "no seed's any more") {
		t.Fatalf("after a seed changed: %v", err)
	}
	if err := Sync(dir, seeds, true); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 4 {
		t.Errorf("after rewriting: %v, want the two seeds, the found input and the hand-kept seed", names)
	}
}

func TestFromLibFuzzerInputRefuses(t *testing.T) {
	if _, err := FromLibFuzzerInput([]byte{0, 0, 0}, []reflect.Type{reflect.TypeFor[uint32]()}); err == nil {
		t.Error("3 bytes decode as a uint32")
	}
	type named uint8
	if _, err := FromLibFuzzerInput([]byte{1}, []reflect.Type{reflect.TypeFor[named]()}); err == nil {
		t.Error("a named type decodes")
	}
}

// Targets finds this repository's targets with their argument types.
func TestTargets(t *testing.T) {
	targets, err := Targets(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) == 0 {
		t.Fatal("no targets")
	}
	for _, tg := range targets {
		if tg.Args == nil || !strings.HasSuffix(tg.File, "_test.go") || !strings.HasPrefix(tg.File, tg.Dir+"/") {
			t.Errorf("%+v", tg)
		}
	}
	src := []byte(`package p
import "testing"
func FuzzX(f *testing.F) { f.Fuzz(func(t *testing.T, a, b uint32, c []byte, d string, e byte, g rune) {}) }
func Fuzzy(f *testing.F) {}
func FuzzY(t *testing.T) {}
`)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x_test.go"), src, 0o644)
	targets, err = Targets(dir)
	if err != nil || len(targets) != 1 {
		t.Fatalf("%+v (err %v), want FuzzX alone", targets, err)
	}
	want := []reflect.Type{reflect.TypeFor[uint32](), reflect.TypeFor[uint32](), reflect.TypeFor[[]byte](), reflect.TypeFor[string](), reflect.TypeFor[uint8](), reflect.TypeFor[int32]()}
	if tg := targets[0]; tg.Name != "FuzzX" || !reflect.DeepEqual(tg.Args, want) || tg.Corpus() != "./testdata/fuzz/FuzzX" {
		t.Errorf("%+v, want FuzzX taking %v", tg, want)
	}
}
