package reassembly

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
	for _, s := range queueSeeds {
		calls = append(calls, []any{s.base, s.limit, s.ops})
	}
	if err := corpus.Sync(queueCorpus, corpus.Unnamed(calls), *writeCorpus); err != nil {
		t.Fatalf("%v\n(go test ./ourstack/tcp/reassembly -run TestSeedCorpus -writecorpus rewrites them)", err)
	}
}
