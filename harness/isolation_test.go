package harness

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOnlyTheOurstackPeerImportsOurstack: ourstack is one peer among
// several. The harness, the judge and the conformance library and catalogue
// speak the harness's own vocabulary (State, FourTuple, TCPSettings, gVisor's
// seqnum) and reach ourstack only through the Peer interface; the one file
// that imports it is the peer itself. A scenario that needs a switch says so
// in TCPSettings, and each peer translates it.
func TestOnlyTheOurstackPeerImportsOurstack(t *testing.T) {
	const ourstack = "github.com/tcpbed/tcpbed/ourstack"
	allowed := map[string]bool{"ours/peer.go": true}
	for _, root := range []string{".", "../judge", "../conformance"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || allowed[path] {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if p == ourstack || strings.HasPrefix(p, ourstack+"/") {
					t.Errorf("%s imports %s; only harness/ours/peer.go may", path, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
