package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// TestListByRFC: list --rfc shows only the scenarios that check a rule of
// that RFC. handshake-options checks RFC 7323's window scale and timestamps;
// the plain handshake checks the SYN, SYN-ACK, ACK exchange and the MSS
// option (RFC 9293), nothing of RFC 7323.
func TestListByRFC(t *testing.T) {
	code, out, errOut := runCmd("list", "--rfc", "7323")
	if code != 0 {
		t.Fatalf("list --rfc 7323: exit %d\n%s", code, errOut)
	}
	var options bool
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "handshake-options ") {
			options = true
		}
		if strings.HasPrefix(line, "handshake ") {
			t.Errorf("list --rfc 7323 lists the plain handshake, which checks nothing of RFC 7323:\n%s", out)
		}
	}
	if !options {
		t.Errorf("list --rfc 7323 lacks handshake-options:\n%s", out)
	}
	if code, _, _ := runCmd("list", "--rfc"); code != exitBadArgs {
		t.Errorf("list --rfc without a section: exit %d, want %d", code, exitBadArgs)
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
		{[]string{"run", "echo", "--client", "gvisor"}, "--server is missing: name the listening stack, one of ours, gvisor, linux"},
		{[]string{"run", "echo", "--server", "gvisor"}, "--client is missing: name the dialing stack"},
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
	tshark := needTshark(t)
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

// needTshark returns tshark's path, or skips the test (fails it under CI).
func needTshark(t *testing.T) string {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("tshark not installed (apt-get install -y tshark); CI must have it")
		}
		t.Fatal("tshark not installed, and CI is set")
	}
	return tshark
}

// TestCaptureMarksEachPacketsFate: in Wireshark's own reading of a capture,
// the packet a rule dropped carries a comment saying so, and a packet the
// wire delivered carries none.
func TestCaptureMarksEachPacketsFate(t *testing.T) {
	tshark := needTshark(t)
	pcap := filepath.Join(t.TempDir(), "third-ack-lost.pcapng")
	if code, out, errOut := runCmd("run", "third-ack-lost", "--client", "ours", "--server", "gvisor", "--pcap", pcap); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, err := exec.Command(tshark, "-r", pcap, "-T", "fields", "-e", "frame.number", "-e", "tcp.flags.str", "-e", "frame.comment").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 4 || !strings.Contains(lines[2], "tcpbed: DROPPED by a fault rule") || !strings.Contains(lines[2], "drop third ACK") {
		t.Fatalf("want the third packet (the lost ACK) commented as dropped by its rule, tshark read:\n%s", out)
	}
	for i, l := range lines {
		if i != 2 && strings.Contains(l, "tcpbed:") {
			t.Errorf("packet %d was delivered untouched but carries a comment: %s", i+1, l)
		}
	}
}

// TestCleanCapturesHaveNoExpertWarnings: on a fault-free wire, tshark's
// expert analysis of a capture finds no warning or error but what the
// scenario is about, so a capture opens clean: no dissector claims the
// payload (HTTP on port 80, Thrift's heuristic on random data), and no
// packet is missing from the capture.
func TestCleanCapturesHaveNoExpertWarnings(t *testing.T) {
	tshark := needTshark(t)
	// A sender filling exactly the window the receiver offered is flow
	// control working, not a fault; a RST is what abort is about.
	allowed := map[string]string{
		"TCP window specified by the receiver is now completely full": "",
		"Connection reset (RST)": "abort",
	}
	claimed := claimedTCPPorts(t, tshark)
	dir := t.TempDir()
	for _, name := range []string{"handshake", "echo", "bulk-transfer", "window-scaling", "small-mss", "half-close",
		"fin-with-data", "time-wait", "simultaneous-open", "simultaneous-close", "delayed-ack", "nagle", "handshake-options", "abort"} {
		for _, p := range [][2]string{{"ours", "gvisor"}, {"gvisor", "ours"}} {
			pcap := filepath.Join(dir, name+".pcapng")
			if code, out, errOut := runCmd("run", name, "--client", p[0], "--server", p[1], "--pcap", pcap); code != 0 {
				t.Fatalf("%s %s->%s: exit %d\n%s%s", name, p[0], p[1], code, out, errOut)
			}
			// One pass: each packet's source port, then its expert entries'
			// severities and messages, "|" between entries.
			out, err := exec.Command(tshark, "-r", pcap, "-T", "fields", "-E", "aggregator=|",
				"-e", "tcp.srcport", "-e", "_ws.expert.severity", "-e", "_ws.expert.message").Output()
			if err != nil {
				t.Fatalf("tshark: %v\n%s", err, out)
			}
			ports := map[string]bool{}
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := append(strings.Split(l, "\t"), "", "") // tshark leaves empty trailing fields out
				if f[0] == "" {
					t.Fatalf("tshark line %q: no source port", l)
				}
				ports[f[0]] = true
				severities, msgs := strings.Split(f[1], "|"), strings.Split(f[2], "|")
				for i, msg := range msgs {
					if sev, _ := strconv.Atoi(severities[min(i, len(severities)-1)]); msg == "" || sev < 6291456 { // below PI_WARN
						continue
					}
					if scenario, ok := allowed[msg]; ok && (scenario == "" || scenario == name) {
						continue
					}
					t.Errorf("%s %s->%s: tshark warns %q on a fault-free wire; replay: go run ./cmd/tcpbed run %s --client %s --server %s --pcap x.pcapng",
						name, p[0], p[1], msg, name, p[0], p[1])
				}
			}
			for port := range ports {
				if dissector, ok := claimed[port]; ok {
					t.Errorf("%s %s->%s: port %s is claimed by Wireshark's %s dissector", name, p[0], p[1], port, dissector)
				}
			}
		}
	}
}

// claimedTCPPorts are the TCP ports tshark's dissectors claim by default,
// each with its dissector.
func claimedTCPPorts(t *testing.T, tshark string) map[string]string {
	out, err := exec.Command(tshark, "-G", "decodes").Output()
	if err != nil {
		t.Fatalf("tshark -G decodes: %v", err)
	}
	claimed := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 && f[0] == "tcp.port" {
			claimed[f[1]] = f[2]
		}
	}
	if claimed["80"] == "" {
		t.Fatalf("tshark -G decodes names no dissector for tcp.port 80; its format changed:\n%.500s", out)
	}
	return claimed
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
