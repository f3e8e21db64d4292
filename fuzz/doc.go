// Package fuzz holds tcpbed's go test -fuzz targets and their seed corpora.
//
// The segment parser's targets (parse_test.go, differential_test.go):
//
//	go test -run=NONE -fuzz=FuzzParseSegment -fuzztime=20s ./fuzz/
//	go test -run=NONE -fuzz=FuzzDifferential -fuzztime=20s ./fuzz/
//	go test -run=NONE -bench=ParseSegment -count=5 ./fuzz/
//
// Seeds live in testdata/fuzz/<target>/ and run with every plain go test.
// A failing input the fuzzer finds is committed there with its fix.
package fuzz
