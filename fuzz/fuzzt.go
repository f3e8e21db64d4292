package fuzz

// fuzzT is what the fuzz targets' bodies need of a *testing.T. The bodies
// take an interface, and live outside the _test.go files (each target's
// _test.go file holds only its FuzzXxx), so that a libFuzzer build of a
// target (go-118-fuzz-build, as ClusterFuzzLite and OSS-Fuzz build it) can
// call them: that build sees no other test file, and passes a stand-in of
// its own for *testing.T. The stand-in panics on Failed, so the bodies
// keep their own count of failures instead of asking.
type fuzzT interface {
	Helper()
	Error(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}
