#!/usr/bin/env bash
# make fuzz-libfuzzer: builds every fuzz target the way ClusterFuzzLite and
# OSS-Fuzz do, by running .clusterfuzzlite/build.sh itself without Docker,
# then runs each libFuzzer binary for a while on its seed corpus.
#
#	scripts/fuzz-libfuzzer.sh [OUTDIR] [TARGET...]
#
# OUTDIR (default out/libfuzzer) receives the binaries, seed corpora and
# dictionaries in bin/, each run's log in logs/, and any crashing input as
# crash-<target>-<hash>. With TARGETs, only those run (all are built).
# LIBFUZZER_TIME is each run's length in seconds (default 60),
# LIBFUZZER_FLAGS adds libFuzzer flags. It exits 1 when a target does not
# build, or a binary crashes, times out (an input taking more than 25 s,
# ClusterFuzz's limit) or runs out of memory. scripts/install-libfuzzer.sh
# installs what it needs.
#
# What stands in for the base-builder image: the tree is copied to
# $SRC/tcpbed (a build that fails deletes a file from the tree it builds),
# scripts/oss-fuzz/compile_native_go_fuzzer stands in for OSS-Fuzz's, and
# the binaries are linked with clang -fsanitize=fuzzer and
# scripts/oss-fuzz/sigonstack.c (OSS-Fuzz's LIB_FUZZING_ENGINE for Go,
# whose gosigfuzz.o does the same: without it libFuzzer's SIGALRM handler
# runs on goroutine stacks and corrupts the Go heap) and no sanitizer: Go
# code is not instrumented by ASan anyway.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
outdir=$(realpath -m "${1:-$root/out/libfuzzer}")
shift || true
seconds=${LIBFUZZER_TIME:-60}
clang=clang-${CLANG_VERSION:-16}
gobin=$(go env GOBIN)
export PATH=$root/scripts/oss-fuzz:${gobin:-$(go env GOPATH)/bin}:$PATH

for tool in "$clang" go-118-fuzz-build unzip; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fuzz-libfuzzer: $tool is missing; scripts/install-libfuzzer.sh installs it" >&2
    exit 1
  fi
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export SRC=$scratch/src WORK=$scratch/work OUT=$outdir/bin
export CC=$clang CXX=$clang CFLAGS="" CXXFLAGS=""
export SANITIZER=none FUZZING_ENGINE=libfuzzer FUZZING_LANGUAGE=go
rm -rf "$outdir"
mkdir -p "$SRC/tcpbed" "$WORK" "$OUT" "$outdir/logs"
"$clang" -c -o "$WORK/sigonstack.o" "$root/scripts/oss-fuzz/sigonstack.c"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer $WORK/sigonstack.o"
tar -C "$root" --exclude=./.git --exclude=./out -cf - . | tar -C "$SRC/tcpbed" -xf -

echo "== build: .clusterfuzzlite/build.sh in a copy of the tree, binaries in $OUT"
if ! bash "$SRC/tcpbed/.clusterfuzzlite/build.sh" > "$outdir/logs/build.log" 2>&1; then
  tail -30 "$outdir/logs/build.log" >&2
  echo "fuzz-libfuzzer: build.sh failed; log in $outdir/logs/build.log" >&2
  exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(awk '$1 == "fuzz_target" { print $3 }' "$root/.clusterfuzzlite/build.sh")
fi

rc=0
printf '\n%-22s %10s %8s %9s %8s  %s\n' target execs exec/s new-units rss-MB result
for t in "${targets[@]}"; do
  log=$outdir/logs/$t.log
  if [ ! -x "$OUT/$t" ]; then
    printf '%-22s %10s %8s %9s %8s  %s\n' "$t" - - - - "NOT BUILT"
    rc=1
    continue
  fi
  corpus=$scratch/corpus/$t
  mkdir -p "$corpus"
  unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$corpus"
  dict=()
  if [ -f "$OUT/$t.dict" ]; then dict=(-dict="$OUT/$t.dict"); fi
  # shellcheck disable=SC2086 # LIBFUZZER_FLAGS is a list of flags
  if "$OUT/$t" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
      -artifact_prefix="$outdir/crash-$t-" "${dict[@]}" ${LIBFUZZER_FLAGS:-} "$corpus" > "$log" 2>&1; then
    result=ok
  else
    result="FAILED (exit $?; log $log)"
    rc=1
  fi
  final_stat() { awk -v k="stat::$1:" '$1 == k { print $2 }' "$log"; }
  printf '%-22s %10s %8s %9s %8s  %s\n' "$t" "$(final_stat number_of_executed_units)" "$(final_stat average_exec_per_sec)" \
    "$(final_stat new_units_added)" "$(final_stat peak_rss_mb)" "$result"
done
exit $rc
