package tcp

import (
	"flag"
	"testing"

	"github.com/tcpbed/tcpbed/fuzz/corpus"
)

var writeCorpus = flag.Bool("writecorpus", false, "rewrite the seed-* files in testdata/fuzz from the f.Add seeds")

// TestSeedCorpus keeps the fuzz target's f.Add seeds committed as corpus
// files too: a libFuzzer build of the target (ClusterFuzzLite, OSS-Fuzz)
// ignores f.Add and starts from those files.
func TestSeedCorpus(t *testing.T) {
	var calls [][]any
	for _, s := range connectionSeeds {
		calls = append(calls, []any{s})
	}
	if err := corpus.Sync(connectionCorpus, corpus.Unnamed(calls), *writeCorpus); err != nil {
		t.Fatalf("%v\n(go test ./ourstack/tcp -run TestSeedCorpus -writecorpus rewrites them)", err)
	}
}
