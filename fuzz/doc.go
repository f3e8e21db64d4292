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
// The connection's targets (interop_test.go, segments_into_conn_test.go):
//
//	go test -run=NONE -fuzz=FuzzInterop -fuzztime=60s ./fuzz/
//	go test -run=NONE -fuzz=FuzzSegmentsIntoConn -fuzztime=60s ./fuzz/
//
// FuzzInterop decodes its bytes into a program of application calls,
// virtual-time advances and wire faults, runs it ours->gvisor,
// gvisor->ours and gvisor<->gvisor, and judges it with an oracle (bytes
// exactly once and in order, every connection CLOSED in the end, TIME-WAIT
// 2MSL, ourstack's states along RFC 9293's diagram) and against the gVisor
// control, up to a named list of allowed differences.
// FuzzSegmentsIntoConn drives an ourstack connection into a chosen state
// with the raw peer, then feeds it fuzzed segments near its window edges.
// ourstack/tcp has FuzzConnection (operations on a bare TCB), and
// ourstack/tcp/{reassembly,congestion} fuzz their data structures;
// make fuzz runs them all.
//
// Seeds live in testdata/fuzz/<target>/ and run with every plain go test.
// A failing input the fuzzer finds is committed there with its fix.
package fuzz
