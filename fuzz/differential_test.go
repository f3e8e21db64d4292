package fuzz

import (
	"testing"
)

// FuzzDifferential: for any bytes, ours and gVisor's header package agree on
// every field, on the parsed options and on checksum validity, except as the
// exceptions table (differential.go) says; where they disagree on purpose,
// the table names the RFC section and both answers. The body is
// fuzzDifferential (differential.go).
//
//	go test -run=NONE -fuzz=FuzzDifferential -fuzztime=20s ./fuzz/
func FuzzDifferential(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s.bytes)
	}
	for _, e := range exceptions {
		f.Add(e.example())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDifferential(t, b)
	})
}

// differentialCorpus is the target's corpus directory. Only this file names the target: compile_native_go_fuzzer finds
// a target's file by searching its package for the name, and wants one file.
const differentialCorpus = "testdata/fuzz/FuzzDifferential"
