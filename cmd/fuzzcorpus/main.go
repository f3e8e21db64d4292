// Command fuzzcorpus turns a Go fuzz target's committed corpus
// (testdata/fuzz/FuzzXxx/, files in go test's "go test fuzz v1" format)
// into the raw inputs a libFuzzer build of the same target takes, one per
// file and under the same name: as the <fuzzer>_seed_corpus.zip that
// ClusterFuzzLite and OSS-Fuzz unpack next to a fuzzer, or as files in a
// directory to run a fuzzer on.
//
//	go run ./cmd/fuzzcorpus -zip $OUT/FuzzQueue_seed_corpus.zip ourstack/tcp/reassembly/testdata/fuzz/FuzzQueue
//	go run ./cmd/fuzzcorpus -dir /tmp/corpus ourstack/tcp/reassembly/testdata/fuzz/FuzzQueue
//
// A target built by go-118-fuzz-build (compile_native_go_fuzzer) does not
// pass its input to f.Fuzz's function as it is: it reads the arguments
// from it one by one, even a lone []byte. fuzzcorpus writes each entry so
// that the target is called with exactly the entry's values
// (corpus.LibFuzzerInput says how).
package main

import (
	"archive/zip"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tcpbed/tcpbed/fuzz/corpus"
)

func main() {
	zipOut := flag.String("zip", "", "write the raw inputs to this zip file")
	dirOut := flag.String("dir", "", "write the raw inputs as files in this directory")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: fuzzcorpus (-zip out.zip | -dir outdir) testdata/fuzz/FuzzXxx\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || (*zipOut == "") == (*dirOut == "") {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *zipOut, *dirOut); err != nil {
		fmt.Fprintln(os.Stderr, "fuzzcorpus:", err)
		os.Exit(1)
	}
}

// rawEntry is one corpus file turned into a raw input.
type rawEntry struct {
	name string
	data []byte
}

func run(src, zipOut, dirOut string) error {
	entries, err := convert(src)
	if err != nil {
		return err
	}
	if zipOut != "" {
		return writeZip(zipOut, entries)
	}
	if err := os.MkdirAll(dirOut, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.WriteFile(filepath.Join(dirOut, e.name), e.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// convert reads every file of the corpus directory src, in name order.
func convert(src string) ([]rawEntry, error) {
	files, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	var entries []rawEntry
	for _, f := range files {
		if f.IsDir() {
			continue
		}
		path := filepath.Join(src, f.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		vals, err := corpus.Unmarshal(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		raw, err := corpus.LibFuzzerInput(vals...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		entries = append(entries, rawEntry{f.Name(), raw})
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s holds no corpus files", src)
	}
	return entries, nil
}

// writeZip writes the entries with no timestamps, so that the same corpus
// gives the same zip.
func writeZip(path string, entries []rawEntry) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	zw := zip.NewWriter(f)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			return err
		}
		if _, err := w.Write(e.data); err != nil {
			return err
		}
	}
	return zw.Close()
}
