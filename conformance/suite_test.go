package conformance_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// TestConformance runs the conformance matrix: every scenario of the
// catalogue in every pairing, one Ginkgo spec per cell (matrix_suite_test.go).
//
// Labels select cells (go tool ginkgo --label-filter=EXPR ./conformance):
//   - the scenario's section: handshake, data, half-close, time-wait, ...;
//   - the pairing, client-server: ours-gvisor, gvisor-ours, ours-ours,
//     gvisor-gvisor (Ginkgo allows '>' in a label, but a shell does not
//     like it unquoted, so the arrow is a dash);
//   - client:KIND and server:KIND, Ginkgo label sets: "client:ours" or
//     'server: containsAny {ours}';
//   - control: the gvisor->gvisor cells that prove the expectations.
//
// For example: --label-filter='time-wait && ours-gvisor'. Spec texts are
// "<scenario> <client>-><server>", so --focus=echo also works.
//
// Environment: TCPBED_SEED (default 1) seeds every cell; TCPBED_OUT
// (default <module root>/out) is where a failing cell's pcap goes.
func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Conformance")
}
