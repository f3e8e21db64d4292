package corpus

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Seed is one seed input of a fuzz target: the values of one f.Add call.
type Seed struct {
	// Name names the seed's file, seed-<Name>; without one, the file is
	// named after its content.
	Name   string
	Values []any
}

// hashed matches the file names of seeds named after their content.
var hashed = regexp.MustCompile(`^seed-[0-9a-f]{16}$`)

// file is the seed's corpus file: its name and its content.
func (s Seed) file() (string, []byte, error) {
	data, err := Marshal(s.Values...)
	if err != nil {
		return "", nil, err
	}
	if s.Name != "" {
		return "seed-" + s.Name, data, nil
	}
	// go test names the inputs it finds by the same hash, without the prefix.
	return fmt.Sprintf("seed-%x", sha256.Sum256(data))[:len("seed-")+16], data, nil
}

// Sync keeps the seed files of a corpus directory in step with seeds, so
// that engines which ignore f.Add (a libFuzzer build by go-118-fuzz-build)
// start from them too. It reports each seed whose file is missing or
// differs, and each seed-<hash> file no seed has any more; with write, it
// writes the seeds' files and removes those stale ones instead. Other
// files (inputs go test -fuzz found, seeds kept by hand) are left alone.
func Sync(dir string, seeds []Seed, write bool) error {
	want := map[string][]byte{}
	for _, s := range seeds {
		name, data, err := s.file()
		if err != nil {
			return fmt.Errorf("seed %q: %w", s.Name, err)
		}
		want[name] = data
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		path := filepath.Join(dir, name)
		got, err := os.ReadFile(path)
		if err == nil && bytes.Equal(got, want[name]) {
			continue
		}
		if write {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, want[name], 0o644); err != nil {
				return err
			}
			continue
		}
		if errors.Is(err, os.ErrNotExist) {
			problems = append(problems, path+" is missing")
		} else {
			problems = append(problems, path+" differs from its seed")
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if _, ok := want[e.Name()]; ok || !hashed.MatchString(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if write {
			if err := os.Remove(path); err != nil {
				return err
			}
			continue
		}
		problems = append(problems, path+" is no seed's any more")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// Unnamed makes seeds of f.Add argument lists, each named after its
// content.
func Unnamed(calls [][]any) []Seed {
	seeds := make([]Seed, len(calls))
	for i, c := range calls {
		seeds[i] = Seed{Values: c}
	}
	return seeds
}
