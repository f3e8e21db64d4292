package fuzz

import (
	"flag"
	"slices"
	"testing"

	"github.com/tcpbed/tcpbed/fuzz/corpus"
)

var writeCorpus = flag.Bool("writecorpus", false, "rewrite the seed-* corpus files in testdata/fuzz from the targets' f.Add seeds")

// TestSeedCorpus keeps the committed corpus files in step with the f.Add
// seeds (go test ./fuzz -run TestSeedCorpus -writecorpus rewrites them): a
// libFuzzer build of a target (ClusterFuzzLite, OSS-Fuzz) ignores f.Add
// and starts from these files. The interop target's seeds have their own
// test (TestInteropSeedCorpus).
func TestSeedCorpus(t *testing.T) {
	var parse []corpus.Seed
	for _, s := range seeds() {
		parse = append(parse, corpus.Seed{Name: s.name, Values: []any{s.bytes}})
	}
	diff := slices.Clone(parse)
	for _, e := range exceptions {
		diff = append(diff, corpus.Seed{Name: "exception-" + e.name, Values: []any{e.example()}})
	}
	var segConn [][]any
	for _, s := range segConnSeeds() {
		segConn = append(segConn, []any{s})
	}
	for dir, seeds := range map[string][]corpus.Seed{
		parseSegmentCorpus: parse,
		differentialCorpus: diff,
		segConnCorpus:      corpus.Unnamed(segConn),
	} {
		if err := corpus.Sync(dir, seeds, *writeCorpus); err != nil {
			t.Errorf("%v\n(go test ./fuzz -run TestSeedCorpus -writecorpus rewrites them)", err)
		}
	}
}
