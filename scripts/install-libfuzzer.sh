#!/usr/bin/env bash
# Installs what make fuzz-libfuzzer needs to build the fuzz targets the way
# ClusterFuzzLite and OSS-Fuzz do, without Docker: clang with its
# compiler-rt, which holds libFuzzer (Debian's clang-NN and
# libclang-rt-NN-dev), and unzip from apt; and go-118-fuzz-build, the tool
# behind OSS-Fuzz's compile_native_go_fuzzer, at the version go.mod pins
# for the testing package its generated harness imports. CLANG_VERSION
# picks the clang (default 16; apt-cache policy clang-NN shows which the
# machine offers).
set -euo pipefail
cd "$(dirname "$0")/.."

clang_version=${CLANG_VERSION:-16}
packages=("clang-$clang_version" "libclang-rt-$clang_version-dev" unzip)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

version=$(go list -m -f '{{.Version}}' github.com/AdamKorcz/go-118-fuzz-build)
go install "github.com/AdamKorcz/go-118-fuzz-build@$version"
echo "installed: clang-$clang_version with libFuzzer, unzip, go-118-fuzz-build $version in $(go env GOPATH)/bin"
