package corpus

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	gofuzz "github.com/AdamKorcz/go-118-fuzz-build/testing"
)

// LibFuzzerInput encodes the arguments of one fuzz call as the raw input
// from which a target built by go-118-fuzz-build (OSS-Fuzz's
// compile_native_go_fuzzer, which ClusterFuzzLite uses too) calls its
// f.Fuzz function with those same arguments.
//
// That harness does not hand the raw bytes to the function, not even to a
// lone []byte: it reads one argument after another, in order, with
// go-fuzz-headers' ConsumeFuzzer, and a lone []byte is read like any other.
// The layout follows from the consumer's getters:
//
//	[]byte, string     4-byte big-endian length, then the bytes
//	bool               1 byte: even is true, odd is false
//	int8, uint8        1 byte
//	int16, uint16      2 bytes, then an order byte (odd: big-endian)
//	int32, uint32      4 bytes big-endian
//	int, int64, uint, uint64, float64   8 bytes, then an order byte
//	float32            4 bytes, then an order byte
//
// This encoder writes big-endian with the odd order byte 1. Two quirks of
// the reader matter for exact conversion, and both are handled:
//
//   - A []byte's length is taken modulo what is left of the input after
//     the length field (unless it equals it), and 0 means 30, so an empty
//     []byte is written with length 2*left, which the modulo turns into 0.
//   - Reading a []byte or a string fails when nothing follows its length
//     field, which an empty last argument would leave; one padding byte
//     goes at the end then, and the harness ignores bytes it does not read.
//
// Every type go test fuzzes converts exactly; the one input that cannot be
// written is a string starting more than 2,000,000 bytes in, which the
// consumer refuses to read.
func LibFuzzerInput(vals ...any) ([]byte, error) {
	if len(vals) == 0 {
		return nil, fmt.Errorf("corpus: a fuzz call has at least one argument")
	}
	var b []byte
	type lengthField struct{ at, n int }
	var lengths []lengthField // []byte length fields, filled in at the end
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			lengths = append(lengths, lengthField{len(b), len(v)})
			b = append(b, 0, 0, 0, 0)
			b = append(b, v...)
		case string:
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			if len(b) > maxStringStart {
				return nil, fmt.Errorf("corpus: a string %d bytes into the input is past what the harness reads", len(b))
			}
			b = append(b, v...)
		case bool:
			if v {
				b = append(b, 0)
			} else {
				b = append(b, 1)
			}
		case int8:
			b = append(b, byte(v))
		case uint8:
			b = append(b, v)
		case int16:
			b = append(binary.BigEndian.AppendUint16(b, uint16(v)), bigEndian)
		case uint16:
			b = append(binary.BigEndian.AppendUint16(b, v), bigEndian)
		case int32:
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		case uint32:
			b = binary.BigEndian.AppendUint32(b, v)
		case int:
			b = append(binary.BigEndian.AppendUint64(b, uint64(v)), bigEndian)
		case int64:
			b = append(binary.BigEndian.AppendUint64(b, uint64(v)), bigEndian)
		case uint:
			b = append(binary.BigEndian.AppendUint64(b, uint64(v)), bigEndian)
		case uint64:
			b = append(binary.BigEndian.AppendUint64(b, v), bigEndian)
		case float32:
			b = append(binary.BigEndian.AppendUint32(b, math.Float32bits(v)), bigEndian)
		case float64:
			b = append(binary.BigEndian.AppendUint64(b, math.Float64bits(v)), bigEndian)
		default:
			return nil, fmt.Errorf("corpus: %T is not a type go test fuzzes", v)
		}
	}
	switch last := vals[len(vals)-1].(type) {
	case []byte:
		if len(last) == 0 {
			b = append(b, 0)
		}
	case string:
		if len(last) == 0 {
			b = append(b, 0)
		}
	}
	for _, l := range lengths {
		left := len(b) - (l.at + 4) // what the reader has after the length field
		n := l.n
		if n == 0 {
			n = 2 * left
		}
		if uint64(n) > math.MaxUint32 {
			return nil, fmt.Errorf("corpus: a %d-byte input is too long for a 32-bit length", len(b))
		}
		binary.BigEndian.PutUint32(b[l.at:], uint32(n))
	}
	return b, nil
}

// maxStringStart is go-fuzz-headers' MaxTotalLen: it reads no string
// that starts further into the input.
const maxStringStart = 2_000_000

// bigEndian is the order byte after a 2- or 8-byte integer or a float:
// go-fuzz-headers reads an odd byte as big-endian.
const bigEndian = 1

// FromLibFuzzerInput decodes a raw input (a crash ClusterFuzzLite or
// make fuzz-libfuzzer found, say) into the arguments with which the
// libFuzzer build of a target whose f.Fuzz function takes args calls it.
// go-118-fuzz-build's own harness code does the reading, so they are the
// values the run saw. It fails when the input is too short for the
// arguments: the harness then never calls the target.
func FromLibFuzzerInput(raw []byte, args []reflect.Type) ([]any, error) {
	in := []reflect.Type{reflect.TypeFor[*gofuzz.T]()}
	for _, t := range args {
		if fuzzTypes[t.String()] != t {
			return nil, fmt.Errorf("corpus: %v is not a type go test fuzzes", t)
		}
		in = append(in, t)
	}
	var vals []any
	called := false
	fn := reflect.MakeFunc(reflect.FuncOf(in, nil, false), func(got []reflect.Value) []reflect.Value {
		called = true
		for _, v := range got[1:] {
			if b, ok := v.Interface().([]byte); ok {
				vals = append(vals, bytes.Clone(b)) // not a view of raw
				continue
			}
			vals = append(vals, v.Interface())
		}
		return nil
	})
	f := &gofuzz.F{Data: raw, T: gofuzz.NewT()}
	f.Fuzz(fn.Interface())
	if !called {
		return nil, fmt.Errorf("corpus: the %d-byte input is too short for arguments %v: the harness does not call the target with it", len(raw), args)
	}
	return vals, nil
}
