package judge

import (
	"strings"
	"testing"
)

func TestReadContinues(t *testing.T) {
	stream := []byte("abcdefgh")
	for _, c := range []struct {
		written, readN int
		got, want      string // want: "" or a fragment of the complaint
	}{
		{8, 0, "abc", ""},
		{8, 3, "def", ""},
		{4, 2, "cde", "wrote only 4"},  // more than was written
		{8, 2, "cxe", "byte 3 of the"}, // a byte changed
		{8, 0, "bcd", "byte 0 of the"}, // a byte lost
		{8, 3, "cde", "byte 3 of the"}, // a byte twice
		{8, 8, "", ""},                 // nothing read
	} {
		got := ReadContinues(stream, c.written, c.readN, []byte(c.got), "client")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("ReadContinues(written %d, readN %d, %q) = %q, want %q", c.written, c.readN, c.got, got, c.want)
		}
	}
}

func TestEOFAfterAll(t *testing.T) {
	if bad := EOFAfterAll(8, 8, true, "server"); bad != "" {
		t.Errorf("an EOF after every byte and a close: %q", bad)
	}
	if bad := EOFAfterAll(8, 8, false, "server"); !strings.Contains(bad, "never closed") {
		t.Errorf("an EOF without a close: %q", bad)
	}
	if bad := EOFAfterAll(5, 8, true, "server"); !strings.Contains(bad, "after 5 bytes") {
		t.Errorf("an EOF with bytes missing: %q", bad)
	}
}
