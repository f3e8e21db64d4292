package matchers_test

import (
	"strings"
	"testing"

	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios
	"github.com/tcpbed/tcpbed/conformance/matchers"

	"github.com/onsi/gomega/format"
	"github.com/onsi/gomega/types"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
)

// handshakeRun is the catalogue's handshake in the gVisor control pairing.
func handshakeRun(t *testing.T) *conformance.Result {
	t.Helper()
	s, ok := conformance.Lookup("handshake")
	if !ok {
		t.Fatal("no handshake scenario in the catalogue")
	}
	res := conformance.Execute(s, conformance.RunOptions{Pairing: conformance.Pairing{Client: conformance.GVisor, Server: conformance.GVisor}, Seed: 1})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res
}

// match runs m on actual and returns whether it matched and its failure
// message.
func match(t *testing.T, m types.GomegaMatcher, actual any) (bool, string) {
	t.Helper()
	ok, err := m.Match(actual)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	if ok {
		return true, m.NegatedFailureMessage(actual)
	}
	return false, m.FailureMessage(actual)
}

// The three-way handshake as RFC 9293 figure 6 draws it, with relative
// sequence numbers and the states the trace records.
var figure6 = []string{
	"SYN-SENT    --> <SEQ=0><CTL=SYN>             --> SYN-RECEIVED",
	"ESTABLISHED <-- <SEQ=0><ACK=1><CTL=SYN,ACK>  <-- SYN-RECEIVED",
	"ESTABLISHED --> <SEQ=1><ACK=1><CTL=ACK>      --> ESTABLISHED",
}

func rfcSegs(lines ...string) []conformance.Seg {
	segs := make([]conformance.Seg, len(lines))
	for i, l := range lines {
		segs[i] = matchers.RFC(l)
	}
	return segs
}

func TestMatchExchangeRFCFigure6(t *testing.T) {
	res := handshakeRun(t)
	recs := res.Net.Trace().Records
	if ok, msg := match(t, matchers.MatchExchange(rfcSegs(figure6...)...), recs[:3]); !ok {
		t.Fatalf("the handshake does not match figure 6:\n%s", msg)
	}
	// Don't care: states and fields left out.
	if ok, msg := match(t, matchers.MatchExchange(rfcSegs("--> <CTL=SYN>", "<-- <CTL=SYN,ACK>", "* --> <ACK=1> *")...), recs[:3]); !ok {
		t.Fatalf("loose expectation:\n%s", msg)
	}
}

func TestMatchExchangeFailureShowsBothSides(t *testing.T) {
	res := handshakeRun(t)
	wrong := append([]string{}, figure6...)
	wrong[2] = "ESTABLISHED --> <SEQ=1><ACK=2><CTL=ACK>      --> ESTABLISHED"
	ok, msg := match(t, matchers.MatchExchange(rfcSegs(append(wrong, "--> <CTL=FIN,ACK>")...)...), res)
	if ok {
		t.Fatal("a wrong ack matched")
	}
	for _, want := range []string{
		"Expected the packets to be exactly this exchange:",
		"expected", "got (states after the receiver processed it)",
		"client>server seq=0 flags=[S] client state=SYN-SENT server state=SYN-RECEIVED",
		"#0 client>server [S] seq=0",
		"client SYN-SENT, server SYN-RECEIVED",
		"<- ack: got 1, want 2",
		"client>server flags=[F.]", "(none)", "<- missing",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, msg)
		}
	}
	// Each expected line sits beside its packet: row 3 holds both.
	for _, line := range strings.Split(msg, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "3 ") && !(strings.Contains(line, "ack=2") && strings.Contains(line, "#2 client>server")) {
			t.Errorf("row 3 does not set the expectation beside the packet: %q", line)
		}
	}
}

func TestContainExchange(t *testing.T) {
	res := handshakeRun(t)
	if ok, msg := match(t, matchers.ContainExchange(matchers.RFC("--> <CTL=SYN>"), matchers.RFC("--> <CTL=ACK>")), res.Net.Trace()); !ok {
		t.Fatalf("SYN then ACK not found in order:\n%s", msg)
	}
	ok, msg := match(t, matchers.ContainExchange(matchers.RFC("--> <CTL=ACK>"), matchers.RFC("--> <CTL=SYN>")), res.Net.Trace())
	if ok || !strings.Contains(msg, "<- missing") || !strings.Contains(msg, "(between)") {
		t.Fatalf("ACK then SYN matched=%v:\n%s", ok, msg)
	}
}

func TestMatchSegment(t *testing.T) {
	res := handshakeRun(t)
	synack := res.Net.Trace().Records[1]
	if ok, msg := match(t, matchers.MatchSegment(conformance.Flags(conformance.SYN|conformance.ACK), conformance.Ack(1), conformance.HasMSS()), synack); !ok {
		t.Fatal(msg)
	}
	ok, msg := match(t, matchers.MatchSegment(conformance.Seq(5), conformance.Len(3)), synack)
	if ok || !strings.Contains(msg, "seq: got 0, want 5; len: got 0, want 3") || !strings.Contains(msg, "server>client [S.]") {
		t.Fatalf("matched=%v:\n%s", ok, msg)
	}
}

func TestHaveStates(t *testing.T) {
	res := handshakeRun(t)
	var id harness.FourTuple
	for _, c := range res.Net.Trace().Changes {
		if c.Side == harness.Client {
			id = c.ID
		}
	}
	states := res.Net.States(harness.Client, id)
	if ok, msg := match(t, matchers.HaveStates(harness.Closed, harness.SynSent, harness.Established), states); !ok {
		t.Fatal(msg)
	}
	ok, msg := match(t, matchers.HaveStates(harness.Closed, harness.SynReceived, harness.Established, harness.FinWait1), res.Net.History(harness.Client, id))
	if ok {
		t.Fatal("wrong states matched")
	}
	for _, want := range []string{"Expected the states to be CLOSED -> SYN-RECEIVED -> ESTABLISHED -> FIN-WAIT-1", "SYN-RECEIVED", "SYN-SENT at", "<- differs", "FIN-WAIT-1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, msg)
		}
	}
}

func TestPassScenarioShowsFailureTraceReplayAndNotes(t *testing.T) {
	s := conformance.Scenario{Name: "matcher-probe", Section: "handshake", Run: func(e *conformance.Env) error {
		e.Connect()
		e.Fail("something the probe wants", "something else")
		return nil
	}}
	p := conformance.Pairing{Client: conformance.GVisor, Server: conformance.GVisor}
	res := conformance.Execute(s, conformance.RunOptions{Pairing: p, Seed: 7})
	ok, msg := match(t, matchers.PassScenario("pcap:     out/pcap/x.pcap"), res)
	if ok {
		t.Fatal("a failed run passed")
	}
	for _, want := range []string{
		"scenario matcher-probe (gvisor->gvisor, seed 7) failed",
		"expected: something the probe wants", "got:      something else",
		"Flags [S]", "client SYN-SENT",
		"replay:   go run ./cmd/tcpbed run matcher-probe --client gvisor --server gvisor --seed 7 --trace",
		"\npcap:     out/pcap/x.pcap",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, msg)
		}
	}
	if ok, _ := match(t, matchers.PassScenario(), handshakeRun(t)); !ok {
		t.Error("a passing run failed PassScenario")
	}
}

func TestParseRFCRejectsMalformedLines(t *testing.T) {
	for _, tc := range []struct{ line, err string }{
		{"SYN-SENT <SEQ=0>", "want \"[STATE] -->"},
		{"--> <SEQ=x>", "<SEQ=x>: want a number"},
		{"--> <CTL=SYN,URG>", "\"URG\" is not SYN"},
		{"--> <FOO=1>", "want SEQ, ACK, CTL"},
		{"--> <CTL=SYN> <-- LISTEN", "disagree"},
		{"SYN-SEEN --> <CTL=SYN>", "not an RFC 9293 state"},
	} {
		if _, err := matchers.ParseRFC(tc.line); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: err %v, want one containing %q", tc.line, err, tc.err)
		}
	}
}

func TestPassScenarioCutsLongTraces(t *testing.T) {
	s := conformance.Scenario{Name: "matcher-long", Section: "data", Run: func(e *conformance.Env) error {
		c, srv := e.Connect()
		for i := range 400 {
			e.WriteAll(c, []byte{byte(i)})
			e.ReadN(srv, 1)
		}
		e.Fail("the end", "a long run")
		return nil
	}}
	res := conformance.Execute(s, conformance.RunOptions{Pairing: conformance.Pairing{Client: conformance.GVisor, Server: conformance.GVisor}, Seed: 1})
	full := res.Err.Error()
	_, msg := match(t, matchers.PassScenario(), res)
	if strings.Count(full, "\n") < 600 {
		t.Fatalf("the run's trace is too short to test cutting: %d lines", strings.Count(full, "\n"))
	}
	if n := strings.Count(msg, "\n"); n > 320 {
		t.Errorf("message has %d lines, want the trace cut to about 300", n)
	}
	for _, want := range []string{"lines left out; the whole trace: go run ./cmd/tcpbed run matcher-long", "Flags [S]", "replay:   go run ./cmd/tcpbed run matcher-long"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	// The tail is kept: the trace's last line is in the message.
	lines := strings.Split(strings.TrimRight(res.Net.Trace().String(), "\n"), "\n")
	if !strings.Contains(msg, lines[len(lines)-1]) {
		t.Errorf("message lacks the trace's last line %q", lines[len(lines)-1])
	}
}

// TestAResultPrintsShort: Gomega formats a matcher's actual value whether
// or not the message shows it; a Result must print as its run and
// verdict, not walk its Net and trace by reflection.
func TestAResultPrintsShort(t *testing.T) {
	res := &conformance.Result{
		Scenario: conformance.Scenario{Name: "handshake"},
		Pairing:  conformance.Pairing{Client: "ours", Server: "gvisor"},
		Seed:     1,
		Net:      &harness.Net{},
	}
	got := format.Object(res, 1)
	if want := "scenario handshake (ours->gvisor, seed 1) passed"; !strings.Contains(got, want) || len(got) > 200 {
		t.Fatalf("format.Object(*Result) = %q, want it to be %q", got, want)
	}
}
