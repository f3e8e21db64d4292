// Package corpus reads and writes fuzz inputs in the two forms tcpbed's
// targets meet: Go's corpus files ("go test fuzz v1", what go test -fuzz
// reads from testdata/fuzz/FuzzXxx/ and writes there for a failing input),
// and the raw bytes a libFuzzer build of the same target takes (what
// ClusterFuzzLite and OSS-Fuzz feed a target built by
// compile_native_go_fuzzer, i.e. go-118-fuzz-build).
package corpus

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"strconv"
	"unicode/utf8"
)

// header is the first line of a corpus file in Go's format.
const header = "go test fuzz v1"

// Marshal encodes vals as a corpus file byte for byte as go test writes
// one (internal/fuzz's marshalCorpusFile): each value on its own line as a
// conversion of a literal, uint8 written as byte and int32 as rune.
func Marshal(vals ...any) ([]byte, error) {
	if len(vals) == 0 {
		return nil, fmt.Errorf("corpus: a corpus entry holds at least one value")
	}
	b := bytes.NewBufferString(header + "\n")
	for _, v := range vals {
		switch v := v.(type) {
		case int, int8, int16, int64, uint, uint16, uint32, uint64, bool:
			fmt.Fprintf(b, "%T(%v)\n", v, v)
		case float32:
			if math.IsNaN(float64(v)) && math.Float32bits(v) != math.Float32bits(float32(math.NaN())) {
				fmt.Fprintf(b, "math.Float32frombits(0x%x)\n", math.Float32bits(v))
			} else {
				fmt.Fprintf(b, "%T(%v)\n", v, v)
			}
		case float64:
			if math.IsNaN(v) && math.Float64bits(v) != math.Float64bits(math.NaN()) {
				fmt.Fprintf(b, "math.Float64frombits(0x%x)\n", math.Float64bits(v))
			} else {
				fmt.Fprintf(b, "%T(%v)\n", v, v)
			}
		case string:
			fmt.Fprintf(b, "string(%q)\n", v)
		case rune:
			// %q turns an invalid rune into U+FFFD; go test writes those as int32.
			if utf8.ValidRune(v) {
				fmt.Fprintf(b, "rune(%q)\n", v)
			} else {
				fmt.Fprintf(b, "int32(%v)\n", v)
			}
		case byte:
			fmt.Fprintf(b, "byte(%q)\n", v)
		case []byte:
			fmt.Fprintf(b, "[]byte(%q)\n", v)
		default:
			return nil, fmt.Errorf("corpus: %T is not a type go test fuzzes", v)
		}
	}
	return b.Bytes(), nil
}

// Unmarshal decodes a corpus file in Go's format into its values, with
// the types go test gives them: []byte, string, bool, float32, float64,
// and every sized and unsized int and uint (byte is uint8, rune int32).
// It accepts what go test accepts (internal/fuzz's unmarshalCorpusFile):
// byte and rune as character or integer literals, negative numbers,
// +Inf, -Inf, NaN, and math.Float32frombits / Float64frombits.
func Unmarshal(b []byte) ([]any, error) {
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) < 2 || string(bytes.TrimSuffix(lines[0], []byte("\r"))) != header {
		return nil, fmt.Errorf("corpus: not a %q file", header)
	}
	var vals []any
	for _, line := range lines[1:] {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		v, err := parseValue(string(line))
		if err != nil {
			return nil, fmt.Errorf("corpus: line %q: %w", line, err)
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("corpus: no values")
	}
	return vals, nil
}

// parseValue parses one line: a conversion T(literal).
func parseValue(line string) (any, error) {
	expr, err := parser.ParseExpr(line)
	if err != nil {
		return nil, err
	}
	call, ok := expr.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return nil, fmt.Errorf("want a conversion of one literal")
	}
	typ, err := typeName(call.Fun)
	if err != nil {
		return nil, err
	}
	arg := call.Args[0]
	switch typ {
	case "[]byte", "string":
		lit, ok := arg.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return nil, fmt.Errorf("%s wants a string literal", typ)
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return nil, err
		}
		if typ == "[]byte" {
			return []byte(s), nil
		}
		return s, nil
	case "bool":
		id, ok := arg.(*ast.Ident)
		if !ok || (id.Name != "true" && id.Name != "false") {
			return nil, fmt.Errorf("bool wants true or false")
		}
		return id.Name == "true", nil
	}

	val, kind, err := numberLiteral(arg)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "byte", "rune":
		if kind == token.CHAR {
			code, _, _, err := strconv.UnquoteChar(val[1:len(val)-1], '\'')
			if err != nil {
				return nil, err
			}
			if typ == "rune" {
				return code, nil
			}
			if code > math.MaxUint8 {
				return nil, fmt.Errorf("byte('%c') is more than a byte", code)
			}
			return byte(code), nil
		}
		if kind != token.INT {
			return nil, fmt.Errorf("%s wants a character or integer literal", typ)
		}
		if typ == "rune" {
			return parseInt(val, "int32")
		}
		return parseUint(val, "uint8")
	case "int", "int8", "int16", "int32", "int64":
		if kind != token.INT {
			return nil, fmt.Errorf("%s wants an integer literal", typ)
		}
		return parseInt(val, typ)
	case "uint", "uint8", "uint16", "uint32", "uint64":
		if kind != token.INT {
			return nil, fmt.Errorf("%s wants an integer literal", typ)
		}
		return parseUint(val, typ)
	case "float32", "float64":
		if kind != token.FLOAT && kind != token.INT {
			return nil, fmt.Errorf("%s wants a number", typ)
		}
		if typ == "float32" {
			f, err := strconv.ParseFloat(val, 32)
			return float32(f), err
		}
		return strconv.ParseFloat(val, 64)
	case "math.Float32frombits", "math.Float64frombits":
		if kind != token.INT {
			return nil, fmt.Errorf("%s wants an integer literal", typ)
		}
		if typ == "math.Float32frombits" {
			bits, err := strconv.ParseUint(val, 0, 32)
			return math.Float32frombits(uint32(bits)), err
		}
		bits, err := strconv.ParseUint(val, 0, 64)
		return math.Float64frombits(bits), err
	}
	return nil, fmt.Errorf("%s is not a type go test fuzzes", typ)
}

// typeName is the conversion's type: an identifier, []byte, or one of
// math's two frombits functions.
func typeName(fun ast.Expr) (string, error) {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name, nil
	case *ast.ArrayType:
		if elt, ok := f.Elt.(*ast.Ident); ok && f.Len == nil && elt.Name == "byte" {
			return "[]byte", nil
		}
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && x.Name == "math" {
			return "math." + f.Sel.Name, nil
		}
	}
	return "", fmt.Errorf("want a conversion to a type go test fuzzes")
}

// numberLiteral is arg's literal text and kind, a leading minus included;
// +Inf, -Inf and NaN come back as FLOAT.
func numberLiteral(arg ast.Expr) (string, token.Token, error) {
	switch a := arg.(type) {
	case *ast.BasicLit:
		return a.Value, a.Kind, nil
	case *ast.Ident:
		if a.Name == "NaN" || a.Name == "Inf" {
			return a.Name, token.FLOAT, nil
		}
	case *ast.UnaryExpr:
		switch x := a.X.(type) {
		case *ast.BasicLit:
			if a.Op == token.SUB {
				return "-" + x.Value, x.Kind, nil
			}
		case *ast.Ident:
			if x.Name == "Inf" && (a.Op == token.SUB || a.Op == token.ADD) {
				return a.Op.String() + "Inf", token.FLOAT, nil
			}
		}
	}
	return "", token.ILLEGAL, fmt.Errorf("want a literal")
}

func parseInt(val, typ string) (any, error) {
	bits := map[string]int{"int": 64, "int8": 8, "int16": 16, "int32": 32, "int64": 64}[typ]
	i, err := strconv.ParseInt(val, 0, bits)
	switch typ {
	case "int":
		return int(i), err
	case "int8":
		return int8(i), err
	case "int16":
		return int16(i), err
	case "int32":
		return int32(i), err
	}
	return i, err
}

func parseUint(val, typ string) (any, error) {
	bits := map[string]int{"uint": 64, "uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64}[typ]
	u, err := strconv.ParseUint(val, 0, bits)
	switch typ {
	case "uint":
		return uint(u), err
	case "uint8":
		return uint8(u), err
	case "uint16":
		return uint16(u), err
	case "uint32":
		return uint32(u), err
	}
	return u, err
}
