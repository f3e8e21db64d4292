// Package modroot finds the root of the Go module a program or test runs
// in: where the repository's paths (out/, testdata/) start from, whatever
// package directory `go test` or `go run` started in.
package modroot

import (
	"errors"
	"os"
	"path/filepath"
)

// ErrNoModule: no go.mod in the working directory or above it.
var ErrNoModule = errors.New("modroot: no go.mod in the working directory or above it")

// Find returns the nearest directory, from the working directory up, that
// holds a go.mod.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoModule
		}
		dir = parent
	}
}
