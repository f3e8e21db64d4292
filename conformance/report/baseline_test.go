package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func TestBaselineWritesSortedAndParsesBack(t *testing.T) {
	b := BaselineOf(cellsOf(t, matrix(map[string]types.SpecState{"time-wait ours->gvisor": types.SpecStateFailed})))
	var out bytes.Buffer
	if err := b.Write(&out); err != nil {
		t.Fatal(err)
	}
	body := out.String()[len(baselineHeader):]
	want := "handshake gvisor->gvisor pass\nhandshake ours->gvisor pass\ntime-wait gvisor->gvisor pass\ntime-wait ours->gvisor fail\n"
	if body != want {
		t.Errorf("baseline body:\n%s\nwant:\n%s", body, want)
	}
	back, err := ParseBaseline(strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 4 || back["time-wait ours->gvisor"] != Fail || back["handshake ours->gvisor"] != Pass {
		t.Errorf("parsed back %v", back)
	}
}

func TestParseBaselineRejectsMalformedLines(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"handshake ours->gvisor\n", "want \"scenario pairing"},
		{"handshake ours->gvisor passed\n", "outcome \"passed\""},
		{"handshake ours-gvisor pass\n", "is not \"scenario client->server\""},
		{"handshake ours->gvisor pass\nhandshake ours->gvisor fail\n", "listed twice"},
	} {
		if _, err := ParseBaseline(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: err %v, want one containing %q", tc.in, err, tc.err)
		}
	}
}
