package packet_test

import (
	"go/build"
	"path/filepath"
	"slices"
	"testing"
)

// TestTheJudgeReadsTheWireWithItsOwnCodec: the packages that describe and
// judge what crossed the wire (the trace, the capture, the fault rules, the
// raw peer, the ladder, the judge, the conformance checks) read packets
// with this package, never with ourstack/wire, the codec of a stack under
// test. A bug in ourstack's parser (a bad checksum accepted, an option
// misread) then cannot change what the trace says was on the wire, nor how
// any stack's packets are judged.
func TestTheJudgeReadsTheWireWithItsOwnCodec(t *testing.T) {
	const ourCodec = "github.com/tcpbed/tcpbed/ourstack/wire"
	for _, dir := range []string{"..", "../ladder", "../linux", ".", "../../judge", "../../conformance", "../../conformance/report", "../../cmd/tcpbed"} {
		pkg, err := build.ImportDir(filepath.FromSlash(dir), 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if slices.Contains(pkg.Imports, ourCodec) {
			t.Errorf("%s (%s) imports %s to read packets; use harness/packet", pkg.ImportPath, dir, ourCodec)
		}
	}
}
