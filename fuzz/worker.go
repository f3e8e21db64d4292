package fuzz

import (
	"flag"
	"runtime"
	"sync"
)

// oneSchedulerPerWorker runs a fuzz worker's Go on one P
// (runtime.GOMAXPROCS(1)). gVisor takes every segment on a goroutine of
// its own, and the harness waits for it: with one P the handoff is a
// switch on the same thread, with no other thread to wake (futex was a
// sixth of an interop program's CPU), and the fuzzer already runs a worker
// per core (-parallel's default is GOMAXPROCS). The interop target on this
// 2-core machine: 666 -> 1,227 programs/s. Only in a worker of go test
// -fuzz: a test run that replays the corpus, and a libFuzzer build (which
// has no such flag), keep the binary's GOMAXPROCS. Here, not in a test
// file: a libFuzzer build compiles the target's test file alone.
var oneSchedulerPerWorker sync.Once

func oneScheduler() {
	if w := flag.Lookup("test.fuzzworker"); w != nil && w.Value.String() == "true" {
		runtime.GOMAXPROCS(1)
	}
}
