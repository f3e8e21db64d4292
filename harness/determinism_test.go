package harness_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// lossyRun runs one connection (handshake, data both ways, close) over a
// wire that drops, duplicates, reorders, delays and corrupts at random, and
// returns the text trace and the pcap capture.
func lossyRun(t *testing.T, seed uint64) (trace string, pcap []byte) {
	t.Helper()
	var capture bytes.Buffer
	n := lossyNet(t, seed, &capture, 0)
	return n.Trace().String(), capture.Bytes()
}

// lossyNet is the Net of lossyRun after the run, its trace bounded by
// traceLimit (harness.Config.TraceLimit).
func lossyNet(t *testing.T, seed uint64, capture *bytes.Buffer, traceLimit int) *harness.Net {
	t.Helper()
	n := newTestNet(t, harness.Config{
		Seed:       seed,
		Pcap:       capture,
		TraceLimit: traceLimit,
		Faults: []*harness.Rule{
			{Name: "loss", Probability: 0.1, Action: harness.Drop},
			{Name: "dup", Probability: 0.05, Action: harness.Duplicate},
			{Name: "reorder", Probability: 0.05, Action: harness.Reorder},
			{Name: "jitter", Probability: 0.1, Action: harness.Delay, Delay: 3 * time.Millisecond},
			{Name: "bitflip", Probability: 0.02, Action: harness.Corrupt},
		},
	})
	c, s := connect(t, n)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	for _, pair := range [][2]harness.Conn{{c, s}, {s, c}} {
		from, to := pair[0], pair[1]
		off, got := 0, 0
		buf := make([]byte, 8192)
		if err := n.RunUntil("transfer", 10*time.Minute, func() bool {
			if off < len(payload) {
				k, _ := from.Write(payload[off:])
				off += k
			}
			for {
				k, err := to.Read(buf)
				got += k
				if err != nil || k == 0 {
					break
				}
			}
			return got == len(payload)
		}); err != nil {
			t.Fatalf("%v\n%s", err, n.Trace())
		}
	}
	c.Close()
	s.Close()
	if err := n.Quiet(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSameSeedSameRun: every random choice (ISNs, ports, each fault
// decision) comes from the seed, so two runs with one seed are identical to
// the byte, and another seed gives another run.
func TestSameSeedSameRun(t *testing.T) {
	trace1, pcap1 := lossyRun(t, 11)
	trace2, pcap2 := lossyRun(t, 11)
	if trace1 != trace2 {
		t.Fatalf("same seed, different traces:\n--- run 1\n%s\n--- run 2\n%s", trace1, trace2)
	}
	if !bytes.Equal(pcap1, pcap2) {
		t.Fatal("same seed, different pcap bytes")
	}
	for _, fate := range []string{"DROPPED", "DUPLICATE", "CORRUPTED", "(reorder", "(jitter"} {
		if !bytes.Contains([]byte(trace1), []byte(fate)) {
			t.Errorf("the lossy run never shows %s; the test does not exercise it", fate)
		}
	}
	trace3, _ := lossyRun(t, 12)
	if trace3 == trace1 {
		t.Fatal("another seed gave the same trace")
	}
}

// TestTraceLimitKeepsTheLast: a bounded trace holds the tail of the full
// one, record for record and change for change, counts what it forgot,
// and never holds more than twice its limit; the capture still has every
// packet.
func TestTraceLimitKeepsTheLast(t *testing.T) {
	var fullPcap, boundedPcap bytes.Buffer
	full := lossyNet(t, 11, &fullPcap, 0).Trace()
	const limit = 40
	bounded := lossyNet(t, 11, &boundedPcap, limit).Trace()
	if k := len(bounded.Records); k < limit || k >= 2*limit {
		t.Errorf("the bounded trace keeps %d records, want %d to %d", k, limit, 2*limit-1)
	}
	if k := len(bounded.Changes); k >= 2*limit {
		t.Errorf("the bounded trace keeps %d state changes, want fewer than %d", k, 2*limit)
	}
	if got, want := bounded.Forgotten+len(bounded.Records), len(full.Records); got != want {
		t.Fatalf("forgot %d and kept %d records of %d", bounded.Forgotten, len(bounded.Records), want)
	}
	if got, want := bounded.ForgottenChanges+len(bounded.Changes), len(full.Changes); got != want {
		t.Fatalf("forgot %d and kept %d changes of %d", bounded.ForgottenChanges, len(bounded.Changes), want)
	}
	if !reflect.DeepEqual(bounded.Records, full.Since(bounded.Forgotten)) {
		t.Error("the bounded trace's records differ from the full trace's last ones")
	}
	if got := bounded.Since(bounded.Forgotten + 3); len(got) == 0 || got[0].Index != bounded.Forgotten+3 {
		t.Errorf("Since(%d) does not start at that index", bounded.Forgotten+3)
	}
	if !reflect.DeepEqual(bounded.Changes, full.Changes[bounded.ForgottenChanges:]) {
		t.Error("the bounded trace's state changes differ from the full trace's last ones")
	}
	if !bytes.Equal(fullPcap.Bytes(), boundedPcap.Bytes()) {
		t.Error("bounding the trace changed the capture")
	}
}
