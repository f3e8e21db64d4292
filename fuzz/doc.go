// Package fuzz holds tcpbed's go test -fuzz targets and their seed corpora.
//
// The segment parser's targets (parse_test.go, differential_test.go):
//
//	go test -run=NONE -fuzz=FuzzParseSegment -fuzztime=20s ./fuzz/
//	go test -run=NONE -fuzz=FuzzDifferential -fuzztime=20s ./fuzz/
//	go test -run=NONE -bench=ParseSegment -count=5 ./fuzz/
//
// Go minimizes each input that widens coverage for up to a minute, and the
// exec counter stands still meanwhile; for short runs add
// -fuzzminimizetime=1s.
//
// FuzzDifferential compares ours with gVisor's header package; where they
// disagree on purpose, the exceptions table in differential_test.go names
// the RFC section and both answers.
//
// Seeds live in testdata/fuzz/<target>/ and run with every plain go test.
// A failing input the fuzzer finds is committed there with its fix.
package fuzz
