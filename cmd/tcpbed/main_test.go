package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/conformance"
)

// alwaysFails is a scenario only this test binary knows, to see exit code 1.
var _ = conformance.Register(conformance.Scenario{
	Name: "test-always-fails", Section: "handshake", Summary: "fails on purpose",
	Run: func(e *conformance.Env) error {
		e.Fail("the impossible", "the possible")
		return nil
	},
})

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestList(t *testing.T) {
	code, out, _ := runCmd("list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"handshake", "echo", "time-wait", "SECTION", "2MSL"} {
		if !strings.Contains(out, s) {
			t.Errorf("list lacks %q:\n%s", s, out)
		}
	}
}

// deviations prints every registered deviation with its rule, what the RFC
// expects and what the peer does.
func TestDeviations(t *testing.T) {
	code, out, _ := runCmd("deviations")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	known := conformance.KnownDeviations()
	if len(known) == 0 {
		t.Fatal("no deviations registered: the command has nothing to show")
	}
	for _, d := range known {
		if !strings.Contains(out, d.Name+" ("+d.Peer+"; "+d.RFC+")") || !strings.Contains(out, d.Instead) {
			t.Errorf("deviations lacks %s with its rule and what %s does:\n%s", d.Name, d.Peer, out)
		}
	}
	if got := strings.Count(out, "the RFC expects: "); got != len(known) {
		t.Errorf("%d entries say what the RFC expects, want %d", got, len(known))
	}
	if code, _, _ := runCmd("deviations", "extra"); code != exitBadArgs {
		t.Errorf("deviations with an argument: exit %d, want %d", code, exitBadArgs)
	}
}

func TestRunPassesWithTraceInUnderTwoSeconds(t *testing.T) {
	start := time.Now()
	code, out, errOut := runCmd("run", "time-wait", "--client", "gvisor", "--server", "gvisor", "--trace", "--seed", "3")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v of real time", took)
	}
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "Flags [F.]") || !strings.Contains(out, "client TIME-WAIT, server CLOSED") || !strings.HasPrefix(strings.Split(out, "\n")[len(strings.Split(out, "\n"))-2], "PASS time-wait") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}

func TestRunFailureExitsOneAndSaysHowToReplay(t *testing.T) {
	code, out, _ := runCmd("run", "--seed", "9", "test-always-fails", "--client", "gvisor", "--server", "gvisor")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, s := range []string{"FAIL test-always-fails", "expected: the impossible", "got:      the possible",
		"go run ./cmd/tcpbed run test-always-fails --client gvisor --server gvisor --seed 9"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func TestBadArgumentsExitTwo(t *testing.T) {
	t.Setenv(conformance.ExecPeerEnv, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"run"}, "exactly one scenario"},
		{[]string{"run", "no-such", "--client", "gvisor", "--server", "gvisor"}, "valid scenarios: handshake"},
		{[]string{"run", "echo", "--client", "bsd", "--server", "gvisor"}, "valid peers: ours, gvisor, linux"},
		{[]string{"run", "rto-backoff", "--client", "linux", "--server", "ours"}, "does not run with Linux (real time)"},
		{[]string{"run", "echo", "--client", "gvisor"}, `--server "": unknown peer`},
		{[]string{"run", "echo", "--client", "exec", "--server", "gvisor"}, "set TCPBED_EXEC_PEER to exec:PATH [ARGS]"},
		{[]string{"run", "echo", "--client", "exec:", "--server", "gvisor"}, "names no program"},
		{[]string{"run", "echo", "--client", "gvisor", "--server", "gvisor", "--mtu", "10"}, "out of range"},
		{[]string{"run", "echo", "--bogus"}, "flag provided but not defined"},
	} {
		code, _, errOut := runCmd(tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("tcpbed %v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestPcapOpensInTshark checks the capture with Wireshark's own reader: the
// handshake, then the FIN/ACK exchange, with valid IP and TCP checksums.
func TestPcapOpensInTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("tshark not installed (apt-get install -y tshark); CI must have it")
		}
		t.Fatal("tshark not installed, and CI is set")
	}
	pcap := filepath.Join(t.TempDir(), "tw.pcap")
	if code, out, errOut := runCmd("run", "time-wait", "--client", "gvisor", "--server", "gvisor", "--pcap", pcap); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	cmd := exec.Command(tshark, "-r", pcap, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		"-T", "fields", "-e", "tcp.flags.syn", "-e", "tcp.flags.ack", "-e", "tcp.flags.fin", "-e", "ip.checksum.status", "-e", "tcp.checksum.status")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	// syn ack fin ipcsum tcpcsum; checksum status 1 is "Good".
	want := []string{
		"1 0 0 1 1", // SYN
		"1 1 0 1 1", // SYN-ACK
		"0 1 0 1 1", // ACK
		"0 1 1 1 1", // FIN from the client
		"0 1 0 1 1", // its ACK
		"0 1 1 1 1", // FIN from the server
		"0 1 0 1 1", // the last ACK
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		got = append(got, strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(line, "True", "1"), "False", "0")), " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tshark saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSameSeedSameTrace: two runs with one seed print the same trace, to
// the byte (the PASS line's real time aside).
func TestSameSeedSameTrace(t *testing.T) {
	trace := func() string {
		code, out, errOut := runCmd("run", "echo", "--client", "gvisor", "--server", "gvisor", "--trace", "--abs", "--seed", "77")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		return out[:strings.LastIndex(out, "PASS ")]
	}
	a, b := trace(), trace()
	if a != b || !strings.Contains(a, "Flags [P.]") {
		t.Fatalf("two runs with seed 77 differ (or show no data):\n%s\n---\n%s", a, b)
	}
}

// TestOursPeerRuns: --client ours and --server ours reach ourstack through
// the harness's adapter.
func TestOursPeerRuns(t *testing.T) {
	for _, p := range [][2]string{{"ours", "gvisor"}, {"gvisor", "ours"}, {"ours", "ours"}} {
		code, out, errOut := runCmd("run", "time-wait", "--client", p[0], "--server", p[1])
		if code != 0 {
			t.Errorf("%s->%s: exit %d\n%s%s", p[0], p[1], code, out, errOut)
		}
	}
}

func TestLadderFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"tw.svg", "tw.mmd"} {
		path := filepath.Join(dir, name)
		if code, out, errOut := runCmd("run", "time-wait", "--client", "gvisor", "--server", "gvisor", "--ladder", path); code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := "<svg"
		if strings.HasSuffix(name, ".mmd") {
			want = "sequenceDiagram"
		}
		if !strings.Contains(string(b), want) || !strings.Contains(string(b), "TIME-WAIT") {
			t.Fatalf("%s lacks %q or TIME-WAIT:\n%.400s", name, want, b)
		}
	}
}

// TestMTUFlagDefaultsToTheScenarios: a scenario that sets its own MTU
// (small-mss) must pass through the CLI as it does in the suites; --mtu
// overrides it only when given.
func TestMTUFlagDefaultsToTheScenarios(t *testing.T) {
	if code, stdout, stderr := runCmd("run", "small-mss", "--client", "gvisor", "--server", "gvisor"); code != 0 {
		t.Fatalf("small-mss without --mtu exited %d:\n%s%s", code, stdout, stderr)
	}
}

// TestLinuxPeerRuns: --client linux and --server linux reach the Linux
// kernel through harness/linux; where this process cannot make a network
// namespace or a TUN, run exits 3 and says why, and the test is skipped.
func TestLinuxPeerRuns(t *testing.T) {
	for _, p := range [][2]string{{"ours", "linux"}, {"linux", "ours"}} {
		code, out, errOut := runCmd("run", "time-wait", "--client", p[0], "--server", p[1])
		if code == exitSkipped {
			if !strings.Contains(out, "SKIP time-wait") || !strings.Contains(out, "linux peer unavailable") {
				t.Fatalf("%s->%s: exit 3 without the reason:\n%s%s", p[0], p[1], out, errOut)
			}
			t.Skip(strings.TrimSpace(out))
		}
		if code != 0 || !strings.Contains(out, "PASS time-wait") {
			t.Errorf("%s->%s: exit %d\n%s%s", p[0], p[1], code, out, errOut)
		}
		if p[0] == "linux" && !strings.Contains(out, "TIME-WAIT seen in the kernel's socket table") {
			t.Errorf("linux->ours: the run does not say that Linux's TIME-WAIT was observed, not waited out:\n%s", out)
		}
	}
}
