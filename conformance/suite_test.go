package conformance_test

import (
	"flag"
	"os"
	"testing"

	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// TestConformance runs the conformance matrix: every scenario of the
// catalogue in every pairing, one Ginkgo spec per cell (matrix_suite_test.go).
// make conformance runs it whole, in parallel, with reports.
//
// Labels select cells (go tool ginkgo --label-filter=EXPR ./conformance):
//   - the scenario's section: handshake, data, half-close, time-wait, ...;
//   - the pairing, client-server: ours-gvisor, gvisor-ours, ours-ours,
//     gvisor-gvisor, ours-linux, linux-ours, gvisor-linux, linux-gvisor (Ginkgo allows '>' in a label, but a shell does not
//     like it unquoted, so the arrow is a dash);
//   - client:KIND and server:KIND, Ginkgo label sets: "client:ours" or
//     'server: containsAny {ours}';
//   - control: the gvisor->gvisor cells that prove the expectations;
//   - linux: every cell with a Linux end; where
//     the namespace or TUN cannot be made they are skipped with the reason;
//   - exec: every cell with an exec end (a stack in another process, over
//     docs/peer-protocol.md): the columns exec-gvisor, gvisor-exec,
//     exec-ours and ours-exec are there only when TCPBED_EXEC_PEER names
//     the stack (TCPBED_EXEC_PEER="exec:./mystack -v").
//
// For example: --label-filter='time-wait && ours-gvisor'. Spec texts are
// "<scenario> <client>-><server>", so --focus=echo also works.
//
// Under plain go test (make test) with no filter given, only the control
// cells run: make test is the unit tests, and cells with ourstack are the
// matrix's, judged against the baseline by make gate. TCPBED_MATRIX=all
// runs every cell under go test too.
//
// Environment: TCPBED_SEED (default 1) seeds every cell; TCPBED_OUT
// (default <module root>/out) is where a failing cell's pcap goes;
// TCPBED_EXEC_PEER adds an exec stack's columns, and TCPBED_EXEC_TIMEOUT
// (default 5s) bounds the real time it may take to answer one request.
func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if !runByGinkgoCLI() && suiteConfig.LabelFilter == "" && len(suiteConfig.FocusStrings) == 0 && os.Getenv("TCPBED_MATRIX") != "all" {
		t.Log("go test: running the matrix's control cells only (make conformance, or TCPBED_MATRIX=all, runs them all)")
		suiteConfig.LabelFilter = "control"
	}
	RunSpecs(t, "Conformance", suiteConfig, reporterConfig)
}

// runByGinkgoCLI reports whether the Ginkgo CLI started this test binary:
// it always sets the parallel flags; go test never does.
func runByGinkgoCLI() bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "ginkgo.parallel.total" })
	return set
}
