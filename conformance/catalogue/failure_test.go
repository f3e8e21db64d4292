package catalogue

import (
	"errors"
	"strings"
	"testing"

	. "github.com/tcpbed/tcpbed/conformance"
)

// TestFailureSaysWhatWhyAndHowToReplay runs a scenario whose expectation is
// wrong on purpose (the SYN-ACK acknowledges x+1, not x+2) and checks the
// report.
func TestFailureSaysWhatWhyAndHowToReplay(t *testing.T) {
	wrong := Scenario{
		Name: "wrong-ack", Section: "handshake",
		Run: func(e *Env) error {
			l := e.Listen()
			mark := e.Mark()
			e.Dial()
			e.Accept(l)
			e.ExpectExactly(mark,
				C2S(Flags(SYN)),
				S2C(Flags(SYN|ACK), Ack(2)),
				C2S(Flags(ACK)),
			)
			return nil
		},
	}
	res := Execute(wrong, RunOptions{Pairing: Pairing{Client: GVisor, Server: GVisor}, Seed: 42})
	var f *Failure
	if !errors.As(res.Err, &f) {
		t.Fatalf("Err = %v, want a *Failure", res.Err)
	}
	msg := f.Error()
	for _, want := range []string{
		"2. server>client flags=[S.] ack=2", // what was expected
		"packet 2 (#1): ack: got 1, want 2", // what came
		"Flags [S.]",                        // the trace
		"go run ./cmd/tcpbed run wrong-ack --client gvisor --server gvisor --seed 42", // the replay
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure report lacks %q:\n%s", want, msg)
		}
	}
}

func TestUnknownPeerIsRefused(t *testing.T) {
	s, _ := Lookup("handshake")
	res := Execute(s, RunOptions{Pairing: Pairing{Client: "bsd", Server: GVisor}})
	if !errors.Is(res.Err, ErrUnknownPeer) || !strings.Contains(res.Err.Error(), "ours, gvisor, linux") {
		t.Fatalf("Err = %v, want ErrUnknownPeer naming the valid peers", res.Err)
	}
}

func TestCatalogueHasTheFirstScenarios(t *testing.T) {
	for _, name := range []string{"handshake", "echo", "time-wait"} {
		s, ok := Lookup(name)
		if !ok {
			t.Fatalf("Lookup(%q) found nothing", name)
		}
		if s.Summary == "" || s.Section == "" {
			t.Errorf("%s lacks a summary or section", name)
		}
	}
	if _, ok := Lookup("no-such-scenario"); ok {
		t.Fatal("Lookup found a scenario that does not exist")
	}
}
