package conformance_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios
	"github.com/tcpbed/tcpbed/conformance/matchers"
	"github.com/tcpbed/tcpbed/internal/modroot"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gleak"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/conformance/report"
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/ladder"
	"github.com/tcpbed/tcpbed/harness/linux"
)

// goroutineGrace is how long the leak check lets goroutines wind down
// after a cell: gVisor's stack stops its goroutines shortly after Close
// returns. The check polls; it does not decide anything about TCP.
const goroutineGrace = 10 * time.Second

// runCell runs scenario s (the catalogue's order-th) in pairing p: one cell
// of the matrix. On failure the message holds the expectation, the trace
// with both ends' states, the replay command, and the path of the run's
// pcap.
func runCell(ctx SpecContext, s conformance.Scenario, order int, p conformance.Pairing) {
	seed := cellSeed()
	info := &report.CellInfo{
		Scenario: s.Name, Section: s.Section, Pairing: p.String(), Seed: seed, Order: order,
		Replay: conformance.ReplayCommand(s.Name, p, seed),
	}
	// A pointer: Ginkgo encodes the entry when it reports the spec, after
	// the pcap's path is known.
	AddReportEntry(report.CellEntryName, info, ReportEntryVisibilityNever)
	if reason := s.SkipReason(p); reason != "" {
		Skip(reason)
	}

	before := gleak.Goroutines()
	DeferCleanup(func() {
		Eventually(gleak.Goroutines).WithTimeout(goroutineGrace).WithPolling(10*time.Millisecond).
			ShouldNot(gleak.HaveLeaked(before), "goroutines left running after %s (%s)", s.Name, p)
	})

	defer takeCPUSlot(p)()
	pcap := takePcapBuffer()
	defer givePcapBuffer(pcap)
	res := conformance.Execute(s, conformance.RunOptions{Pairing: p, Seed: seed, Pcap: pcap})
	if errors.Is(res.Err, linux.ErrUnavailable) || errors.Is(res.Err, harness.ErrUnsupported) {
		// No namespace or TUN here (not root, no /dev/net/tun), or a peer
		// with no switch for a setting the scenario needs: the cell is
		// skipped with the reason, not failed.
		Skip(res.Err.Error())
	}
	for _, note := range res.Observations {
		AddReportEntry("saw", note, ReportEntryVisibilityFailureOrVerbose)
	}
	for _, d := range res.Deviations {
		AddReportEntry("deviation", d, ReportEntryVisibilityFailureOrVerbose)
	}
	if res.Err != nil {
		path, err := writeArtifact(s.Name, p, seed, "pcapng", pcap.Bytes())
		if err != nil {
			path = "(not written: " + err.Error() + ")"
		} else {
			info.Pcap = path
		}
		notes := []string{"pcap:     " + path}
		if res.Net != nil {
			notes = append(notes, "ladder:   "+writeLadder(s.Name, p, seed, res.Net.Trace()))
		}
		Expect(res).To(matchers.PassScenario(notes...))
	}
	if res.Net != nil {
		Expect(res.Net.PcapErr()).NotTo(HaveOccurred(), "writing the capture")
	}
}

// pcapBuffers keeps the last cell's capture buffer for the next one. The
// capture of a bulk transfer grows to tens of MiB, and fresh memory costs
// its page faults, dear in a virtual machine: growing a new buffer for
// every cell was an eighth of the Linux cells' CPU. A cell that overran
// its timeout and still runs keeps its buffer: no two cells share one.
var pcapBuffers = make(chan *pcapBuffer, 1)

func takePcapBuffer() *pcapBuffer {
	select {
	case b := <-pcapBuffers:
		b.Reset()
		return b
	default:
		return new(pcapBuffer)
	}
}

func givePcapBuffer(b *pcapBuffer) {
	select {
	case pcapBuffers <- b:
	default:
	}
}

// pcapBuffer holds a capture in chunks of pcapChunk bytes. Growing it
// copies nothing and frees nothing, as a bytes.Buffer's doubling did (a
// capture of 170 MiB touched 340 MiB of fresh memory), and Reset keeps up
// to pcapKept chunks for the next capture: most need no fresh memory at
// all, and the rare huge one (a stranger's lossy transfer) is not kept.
type pcapBuffer struct {
	chunks [][]byte // the first used hold the capture: full, but for the last
	used   int
}

const (
	pcapChunk = 1 << 20
	pcapKept  = 64
)

func (b *pcapBuffer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if b.used == 0 || len(b.chunks[b.used-1]) == pcapChunk {
			if b.used == len(b.chunks) {
				b.chunks = append(b.chunks, make([]byte, 0, pcapChunk))
			}
			b.used++
		}
		c := b.chunks[b.used-1]
		k := min(len(p), pcapChunk-len(c))
		b.chunks[b.used-1] = append(c, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Reset empties b, keeping at most pcapKept chunks.
func (b *pcapBuffer) Reset() {
	b.chunks, b.used = b.chunks[:min(len(b.chunks), pcapKept)], 0
	for i, c := range b.chunks {
		b.chunks[i] = c[:0]
	}
}

// Bytes is the capture in one piece (a copy, for a failing cell's file).
func (b *pcapBuffer) Bytes() []byte {
	var all []byte
	for _, c := range b.chunks[:b.used] {
		all = append(all, c...)
	}
	return all
}

// cellSeed is TCPBED_SEED, or 1.
func cellSeed() uint64 {
	if v := os.Getenv("TCPBED_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		Expect(err).NotTo(HaveOccurred(), "TCPBED_SEED")
		return seed
	}
	return 1
}

// writeLadder draws a failing cell's ladder diagram beside its pcap and
// returns its path (or why it was not written).
func writeLadder(scenario string, p conformance.Pairing, seed uint64, trace *harness.Trace) string {
	var svg bytes.Buffer
	d := ladder.Build(trace, ladder.Options{Client: "client (" + p.Client + ")", Server: "server (" + p.Server + ")"})
	if err := d.SVG(&svg); err != nil {
		return "(not written: " + err.Error() + ")"
	}
	path, err := writeArtifact(scenario, p, seed, "svg", svg.Bytes())
	if err != nil {
		return "(not written: " + err.Error() + ")"
	}
	return path
}

// writeArtifact writes a failing cell's capture or diagram to
// <out>/pcap/<scenario>_<client>-<server>_<seed>.<ext> and returns its path,
// relative to the module root when it lies under it.
func writeArtifact(scenario string, p conformance.Pairing, seed uint64, ext string, content []byte) (string, error) {
	root, err := modroot.Find()
	if err != nil {
		return "", err
	}
	out := os.Getenv("TCPBED_OUT")
	if out == "" {
		out = filepath.Join(root, "out")
	} else if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	dir := filepath.Join(out, "pcap")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s_%s-%s_%s_%d.%s", scenario, p.Client, p.Server, p.Family, seed, ext))
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel, nil
	}
	return path, nil
}
