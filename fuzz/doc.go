// Package fuzz holds tcpbed's go test -fuzz targets and their seed corpora.
//
// A target's _test.go file holds its FuzzXxx function, which adds the
// seeds and calls a body in a non-test file beside it; each FuzzXxx's doc
// comment says what it checks and how to run it. The bodies sit outside
// the test files so that ClusterFuzzLite and OSS-Fuzz, which build a
// target from its one _test.go file (compile_native_go_fuzzer), can build
// every target too; make fuzz-libfuzzer builds and runs them that way.
// For the same tool, a target's name appears in its _test.go file only.
//
// The segment parser's targets:
//
//   - parse_test.go: arbitrary bytes never panic Parse, and whatever parses
//     re-encodes to the same packet (parse.go);
//   - differential_test.go: ours against gVisor's header package; where
//     they disagree on purpose, the exceptions table in differential.go
//     names the RFC section and both answers.
//
// Go minimizes each input that widens coverage for up to a minute, and the
// exec counter stands still meanwhile; for short runs add
// -fuzzminimizetime=1s. The parser's speed against gVisor's:
//
//	go test -run=NONE -bench=ParseSegment -count=5 ./fuzz/
//
// The connection's targets:
//
//   - interop_test.go decodes its bytes into a program of application
//     calls, virtual-time advances and wire faults (interop_program.go),
//     runs it ours->gvisor, gvisor->ours and gvisor<->gvisor, and judges
//     it with an oracle (bytes exactly once and in order, every connection
//     CLOSED in the end, TIME-WAIT 2MSL, ourstack's states along RFC 9293's
//     diagram) and against the gVisor control, up to a named list of
//     allowed differences;
//   - segments_into_conn_test.go drives an ourstack connection into a
//     chosen state with the raw peer, then feeds it fuzzed segments near
//     its window edges.
//
// ourstack/tcp fuzzes a bare TCB with operations, and
// ourstack/tcp/{reassembly,congestion} fuzz their data structures; make
// fuzz runs them all.
//
// Seeds live in testdata/fuzz/<target>/ and run with every plain go test.
// The seed-* files there are the f.Add seeds, written out (TestSeedCorpus,
// TestInteropSeedCorpus) because a libFuzzer build ignores f.Add. A
// failing input the fuzzer finds is committed there with its fix.
package fuzz
