package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpbed/tcpbed/fuzz/corpus"
)

func TestZipAndDirHoldTheRawInputs(t *testing.T) {
	src := t.TempDir()
	files := map[string][]any{
		"seed-a":           {[]byte{0x45, 0}},
		"0123456789abcdef": {uint32(7), uint8(1), []byte{}},
	}
	want := map[string][]byte{}
	for name, vals := range files {
		data, err := corpus.Marshal(vals...)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(src, name), data, 0o644)
		if want[name], err = corpus.LibFuzzerInput(vals...); err != nil {
			t.Fatal(err)
		}
	}

	out := t.TempDir()
	zipPath := filepath.Join(out, "FuzzX_seed_corpus.zip")
	if err := run(src, zipPath, ""); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != len(want) {
		t.Fatalf("zip holds %d files, want %d", len(zr.File), len(want))
	}
	for _, f := range zr.File {
		r, _ := f.Open()
		got, _ := io.ReadAll(r)
		if !bytes.Equal(got, want[f.Name]) {
			t.Errorf("zip %s: % x, want % x", f.Name, got, want[f.Name])
		}
	}

	dir := filepath.Join(out, "raw")
	if err := run(src, "", dir); err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, w) {
			t.Errorf("dir %s: % x (err %v), want % x", name, got, err, w)
		}
	}
}

func TestRefusesWhatIsNotACorpus(t *testing.T) {
	src := t.TempDir()
	if _, err := convert(src); err == nil {
		t.Error("an empty directory converts")
	}
	os.WriteFile(filepath.Join(src, "notes.txt"), []byte("not a corpus file\n"), 0o644)
	if _, err := convert(src); err == nil {
		t.Error("a file in another format converts")
	}
}

// A raw input added to a target becomes the Go corpus file go test would
// write for the same arguments.
func TestAddWritesTheGoCorpusEntry(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module m\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "p"), 0o755)
	os.WriteFile(filepath.Join(root, "p", "x_test.go"), []byte(`package p
import "testing"
func FuzzX(f *testing.F) { f.Fuzz(func(t *testing.T, n uint32, b []byte) {}) }
`), 0o644)
	raw, err := corpus.LibFuzzerInput(uint32(7), []byte("crash"))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "crash-FuzzX-1")
	os.WriteFile(in, raw, 0o644)
	t.Chdir(filepath.Join(root, "p"))
	if err := add("FuzzX", []string{in}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "p", "testdata", "fuzz", "FuzzX", "*"))
	if len(files) != 1 {
		t.Fatalf("corpus holds %v", files)
	}
	got, _ := os.ReadFile(files[0])
	if want := "go test fuzz v1\nuint32(7)\n[]byte(\"crash\")\n"; string(got) != want {
		t.Errorf("%s holds %q, want %q", files[0], got, want)
	}
	if err := add("FuzzY", []string{in}); err == nil {
		t.Error("added to a target that does not exist")
	}
}
