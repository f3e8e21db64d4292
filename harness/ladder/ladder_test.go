package ladder_test

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/ladder"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// runTrace runs a catalogue scenario gVisor to gVisor and returns its trace.
func runTrace(t *testing.T, name string) *harness.Trace {
	t.Helper()
	s, ok := conformance.Lookup(name)
	if !ok {
		t.Fatalf("scenario %q is not in the catalogue", name)
	}
	res := conformance.Execute(s, conformance.RunOptions{Pairing: conformance.Pairing{Client: "gvisor", Server: "gvisor"}, Seed: 1})
	if res.Err != nil {
		t.Fatalf("%s gvisor->gvisor: %v", name, res.Err)
	}
	return res.Net.Trace()
}

// svgNode is just enough of an SVG's element tree to count what it draws.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []svgNode  `xml:",any"`
}

func (n *svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *svgNode) walk(f func(*svgNode)) {
	f(n)
	for i := range n.Nodes {
		n.Nodes[i].walk(f)
	}
}

func TestSVGDrawsEverySegmentAndStateChange(t *testing.T) {
	trace := runTrace(t, "time-wait")
	var buf bytes.Buffer
	d := ladder.Build(trace, ladder.Options{Client: "client (gvisor)", Server: "server (gvisor)"})
	if err := d.SVG(&buf); err != nil {
		t.Fatal(err)
	}
	var root svgNode
	if err := xml.Unmarshal(buf.Bytes(), &root); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v", err)
	}
	segments, states := map[string]bool{}, map[string]int{}
	var brackets []string
	root.walk(func(n *svgNode) {
		switch n.attr("class") {
		case "segment":
			segments[n.attr("data-index")] = true
		case "state":
			states[n.attr("data-side")+" "+strings.TrimSpace(n.Text)]++
		case "time-wait":
			brackets = append(brackets, n.attr("data-side"))
		}
	})
	if len(segments) != len(trace.Records) {
		t.Errorf("SVG draws %d segments, the trace holds %d", len(segments), len(trace.Records))
	}
	for _, c := range trace.Changes {
		key := c.Side.String() + " " + c.To.String()
		if states[key] == 0 {
			t.Errorf("state change %s -> %s at %v is not drawn (drawn: %v)", c.Side, c.To, c.At, states)
		}
	}
	if len(brackets) != 1 || brackets[0] != "client" {
		t.Errorf("TIME-WAIT brackets drawn for %v, want one for the client", brackets)
	}
	if !strings.Contains(buf.String(), "TIME-WAIT 2MSL = 60 s") {
		t.Errorf("the bracket does not say 2MSL = 60 s")
	}
	for _, want := range []string{">SYN seq=x<", ">SYN,ACK seq=y ack=x+1<", ">ACK seq=x+1 ack=y+1<"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the SVG has no label %q", want)
		}
	}
}

func TestMermaidHasOneArrowPerSegment(t *testing.T) {
	trace := runTrace(t, "time-wait")
	var buf bytes.Buffer
	if err := ladder.Build(trace, ladder.Options{}).Mermaid(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	arrows := strings.Count(out, "C->>S:") + strings.Count(out, "S->>C:")
	if arrows != len(trace.Records) {
		t.Errorf("Mermaid has %d arrows, the trace holds %d segments:\n%s", arrows, len(trace.Records), out)
	}
	if !strings.HasPrefix(out, "```mermaid\nsequenceDiagram\n") || !strings.HasSuffix(out, "```\n") {
		t.Errorf("not a fenced Mermaid sequence diagram:\n%s", out)
	}
	if !strings.Contains(out, "Note over C: TIME-WAIT\n") {
		t.Errorf("the client's TIME-WAIT is not noted:\n%s", out)
	}
}

func TestLabelsAbsolute(t *testing.T) {
	trace := runTrace(t, "handshake")
	syn := trace.Records[0]
	want := "SYN seq=" + itoa(uint32(syn.Packet.TCP.Seq))
	if got := ladder.Label(syn, true); got != want {
		t.Errorf("absolute label %q, want %q", got, want)
	}
}

func itoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// TestSVGRenders rasterizes a diagram with a real SVG renderer (librsvg's
// rsvg-convert, from Debian's librsvg2-bin; .ci/run installs it) and checks
// the picture is not blank.
func TestSVGRenders(t *testing.T) {
	renderer, err := exec.LookPath("rsvg-convert")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("rsvg-convert is missing in CI: .ci/run must install librsvg2-bin")
		}
		t.Skip("rsvg-convert not installed (apt-get install librsvg2-bin)")
	}
	dir := t.TempDir()
	svgPath, pngPath := filepath.Join(dir, "tw.svg"), filepath.Join(dir, "tw.png")
	f, err := os.Create(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := ladder.Build(runTrace(t, "time-wait"), ladder.Options{}).SVG(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if out, err := exec.Command(renderer, "-o", pngPath, svgPath).CombinedOutput(); err != nil {
		t.Fatalf("rsvg-convert: %v\n%s", err, out)
	}
	pf, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	img, err := png.Decode(io.Reader(pf))
	if err != nil {
		t.Fatalf("rsvg-convert wrote no PNG: %v", err)
	}
	b := img.Bounds()
	dark, total := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	// Lines and labels cover a few percent of a ladder; a blank or
	// all-black render is a failure.
	if frac := float64(dark) / float64(total); frac < 0.005 || frac > 0.5 {
		t.Errorf("rendered %dx%d image has %.2f%% dark pixels: blank or broken", b.Dx(), b.Dy(), 100*frac)
	}
}

func TestLongTraceKeepsItsOpeningAndClose(t *testing.T) {
	trace := runTrace(t, "half-close")
	if len(trace.Records) <= 3*ladder.DefaultMaxPackets {
		t.Fatalf("half-close crossed only %d packets; the test needs a long trace", len(trace.Records))
	}
	d := ladder.Build(trace, ladder.Options{})
	if len(d.Arrows)+d.Omitted != len(trace.Records) || len(d.Arrows) > 2*ladder.DefaultMaxPackets {
		t.Fatalf("drew %d segments and left out %d of %d", len(d.Arrows), d.Omitted, len(trace.Records))
	}
	first, last := d.Arrows[0].Record, d.Arrows[len(d.Arrows)-1].Record
	if first != trace.Records[0] || last != trace.Records[len(trace.Records)-1] {
		t.Errorf("the diagram does not start with the first segment and end with the last")
	}
	drawn := map[*harness.Record]bool{}
	for _, a := range d.Arrows {
		drawn[a.Record] = true
	}
	for _, r := range trace.Records {
		if r.Packet.TCP.Flags&(packet.SYN|packet.FIN|packet.RST) != 0 && !drawn[r] {
			t.Errorf("segment #%d (%s) carries SYN, FIN or RST and is not drawn", r.Index, ladder.Label(r, false))
		}
	}
	var buf bytes.Buffer
	if err := d.SVG(&buf); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "segments not drawn"); got != len(d.Omissions) || got == 0 {
		t.Errorf("the SVG marks %d omissions, the diagram has %d", got, len(d.Omissions))
	}
	for _, st := range []string{"FIN-WAIT-2", "CLOSE-WAIT", "LAST-ACK", "TIME-WAIT"} {
		if !strings.Contains(buf.String(), ">"+st+"<") {
			t.Errorf("the close's state %s is not drawn", st)
		}
	}
}
