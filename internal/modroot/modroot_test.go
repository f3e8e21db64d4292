package modroot_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpbed/tcpbed/internal/modroot"
)

func TestFindWalksUpToGoMod(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := modroot.Find()
	if err != nil || got != root {
		t.Fatalf("Find from %s = %q, %v; want %s", deep, got, err, root)
	}
}
