package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// DefaultBulkSize is what each bulk benchmark moves one way.
const DefaultBulkSize = 256 << 20

// BulkSize is the bulk transfer's size: $BENCHSIZE if set ("16MiB", "512KiB",
// "1GiB" or a byte count), else DefaultBulkSize. Smoke runs shrink it.
func BulkSize() (int, error) {
	v := os.Getenv("BENCHSIZE")
	if v == "" {
		return DefaultBulkSize, nil
	}
	return ParseSize(v)
}

// ParseSize reads a byte count with an optional KiB, MiB or GiB suffix.
func ParseSize(v string) (int, error) {
	mult := 1
	for suffix, m := range map[string]int{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(v, suffix) {
			v, mult = strings.TrimSuffix(v, suffix), m
			break
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bench: size %q: want a positive count of bytes, KiB, MiB or GiB", v)
	}
	return n * mult, nil
}
