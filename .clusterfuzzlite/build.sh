#!/bin/bash -eu
# Builds tcpbed's fuzz targets for ClusterFuzzLite and OSS-Fuzz: every
# native Go fuzz target (func FuzzXxx(f *testing.F)) as the libFuzzer
# binary $OUT/FuzzXxx, its committed corpus (testdata/fuzz/FuzzXxx/) as
# $OUT/FuzzXxx_seed_corpus.zip, and a dictionary where one helps.
#
# It runs in the image .clusterfuzzlite/Dockerfile describes, from a copy
# of the tree at $SRC/tcpbed. make fuzz-libfuzzer runs this same script
# without Docker (scripts/fuzz-libfuzzer.sh). compile_native_go_fuzzer
# turns the target's _test.go file into a plain one for the build and
# back; a build that fails leaves it deleted, so build only in a copy.
set -eu
cd "$SRC/tcpbed"

# Go's corpus files are not what a libFuzzer build reads: cmd/fuzzcorpus
# converts them.
go build -o "$WORK/fuzzcorpus" ./cmd/fuzzcorpus

# fuzz_target DIR FUNC builds the target FUNC of the package in DIR, named
# FUNC, with its seed corpus. fuzz/clusterfuzzlite_test.go fails when a
# Fuzz function in the repository has no line here.
fuzz_target() {
  local dir=$1 func=$2
  compile_native_go_fuzzer "github.com/tcpbed/tcpbed/$dir" "$func" "$func"
  "$WORK/fuzzcorpus" -zip "$OUT/${func}_seed_corpus.zip" "$dir/testdata/fuzz/$func"
}

fuzz_target fuzz FuzzParseSegment
fuzz_target fuzz FuzzDifferential
fuzz_target fuzz FuzzInterop
fuzz_target fuzz FuzzSegmentsIntoConn
fuzz_target ourstack/tcp FuzzConnection
fuzz_target ourstack/tcp/reassembly FuzzQueue
fuzz_target ourstack/tcp/congestion FuzzScoreboard

# The parser's targets read whole IPv4+TCP packets (after the 4-byte length
# go-118-fuzz-build's harness reads first): TCP flags, option kinds and
# lengths help them. The other targets read operation codes.
cp .clusterfuzzlite/tcp.dict "$OUT/FuzzParseSegment.dict"
cp .clusterfuzzlite/tcp.dict "$OUT/FuzzDifferential.dict"
