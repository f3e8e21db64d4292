package conformance_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tcpbed/tcpbed/conformance"
)

// An exec kind names its program and arguments; "exec" alone, the one
// TCPBED_EXEC_PEER names.
func TestExecCommand(t *testing.T) {
	t.Setenv(conformance.ExecPeerEnv, "")
	for kind, want := range map[string][]string{
		"exec:./mystack":              {"./mystack"},
		"exec:/bin/peer  --flag ours": {"/bin/peer", "--flag", "ours"},
		"exec:":                       nil,
		"exec":                        nil,
	} {
		got, err := conformance.ExecCommand(kind)
		if !slices.Equal(got, want) || (want == nil) != (err != nil) {
			t.Errorf("ExecCommand(%q) = %q, %v; want %q", kind, got, err, want)
		}
		if conformance.ValidPeer(kind) != (want != nil) {
			t.Errorf("ValidPeer(%q) = %v", kind, !(want != nil))
		}
	}
	t.Setenv(conformance.ExecPeerEnv, "exec:./lwip-peer -v")
	if got, err := conformance.ExecCommand("exec"); err != nil || !slices.Equal(got, []string{"./lwip-peer", "-v"}) {
		t.Errorf(`ExecCommand("exec") with %s set = %q, %v`, conformance.ExecPeerEnv, got, err)
	}
	if !conformance.ValidPeer("exec") || conformance.ValidPeer("execute") {
		t.Error("ValidPeer of exec kinds")
	}
}

// An exec stack runs where ourstack runs, in ourstack's place, and is
// skipped for ourstack's reasons.
func TestExecRunsWhereOurstackRuns(t *testing.T) {
	for _, s := range conformance.All() {
		for _, p := range conformance.ExecPairings {
			if s.RunsIn(p) != s.RunsIn(conformance.AsOurs(p)) || s.SkipReason(p) != s.SkipReason(conformance.AsOurs(p)) {
				t.Errorf("%s in %s: runs %v, in %s %v", s.Name, p, s.RunsIn(p), conformance.AsOurs(p), s.RunsIn(conformance.AsOurs(p)))
			}
		}
	}
	if got := conformance.AsOurs(conformance.Pairing{Client: "exec:./x y", Server: "gvisor"}); got != (conformance.Pairing{Client: "ours", Server: "gvisor"}) {
		t.Errorf("AsOurs = %v", got)
	}
}

// A replay command quotes a kind with spaces, and brings the variable
// that names the exec peer.
func TestReplayCommandOfAnExecPairing(t *testing.T) {
	t.Setenv(conformance.ExecPeerEnv, "exec:./my stack")
	got := conformance.ReplayCommand("echo", conformance.Pairing{Client: "exec", Server: "gvisor"}, 3)
	if want := "TCPBED_EXEC_PEER='exec:./my stack' go run ./cmd/tcpbed run echo --client exec --server gvisor --seed 3"; !strings.HasPrefix(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = conformance.ReplayCommand("echo", conformance.Pairing{Client: "ours", Server: "exec:./peer it's"}, 3)
	if want := `--client ours --server 'exec:./peer it'\''s' --seed 3`; !strings.Contains(got, want) || strings.Contains(got, conformance.ExecPeerEnv) {
		t.Errorf("got %s\nwant it to hold %s", got, want)
	}
}
