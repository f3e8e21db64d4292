package fuzz

import (
	"testing"
)

// FuzzParseSegment: arbitrary bytes never panic Parse; an error is a
// *ParseError wrapping one sentinel; whatever parses (checksum faults
// included, since their Packet is complete) re-encodes to bytes that parse
// to the same Packet, and encoding again is byte-for-byte stable. The body
// is fuzzParseSegment (parse.go).
//
//	go test -run=NONE -fuzz=FuzzParseSegment -fuzztime=20s ./fuzz/
func FuzzParseSegment(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s.bytes)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzParseSegment(t, b)
	})
}

// parseSegmentCorpus is the target's corpus directory. Only this file names the target: compile_native_go_fuzzer finds
// a target's file by searching its package for the name, and wants one file.
const parseSegmentCorpus = "testdata/fuzz/FuzzParseSegment"
