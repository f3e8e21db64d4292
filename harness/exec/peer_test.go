package exec

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega/gleak"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
	"github.com/tcpbed/tcpbed/harness/exec/serve"
	"github.com/tcpbed/tcpbed/harness/gvisor"
)

// This test binary is also the stack the tests start: run with the first
// argument stackArg, it serves gVisor's netstack over the peer protocol
// (serve), broken on purpose as its flags say.
const stackArg = "serve-gvisor-for-test"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == stackArg {
		os.Exit(serveForTest(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func serveForTest(args []string) int {
	fs := flag.NewFlagSet(stackArg, flag.ContinueOnError)
	fault := fs.String("fault", "", "")
	noStates := fs.Bool("no-states", false, "")
	version1 := fs.Bool("version1", false, "")
	realTime := fs.Bool("real-time", false, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := serve.Options{Name: "gVisor (test)", NoStates: *noStates, Version1Only: *version1, RealTime: *realTime, Make: func(env harness.PeerEnv, cfg serve.Config) (harness.Peer, error) {
		if cfg.NoTimestamps {
			return nil, &serve.UnsupportedError{Option: peerproto.OptTimestamps, Reason: "gVisor always offers timestamps"}
		}
		return gvisor.NewPeer(gvisor.Options{Settings: cfg.Settings})(env)
	}}
	if *fault != "" {
		f, err := serve.ParseFault(*fault)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		opts.Fault = f
	}
	if err := serve.Serve(os.Stdin, os.Stdout, opts); err != nil {
		fmt.Fprintf(os.Stderr, "test stack: %v\n", err)
		return 3
	}
	return 0
}

// testStack is the Options of a stack served by this test binary.
func testStack(flags ...string) Options {
	return Options{Command: append([]string{os.Args[0], stackArg}, flags...), ReplyTimeout: time.Second}
}

// echo connects client to server, sends a line each way, and closes:
// enough requests of every kind for a fault to strike somewhere.
func echo(n *harness.Net) error {
	l, err := n.Server().Listen(7357)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	c, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(harness.Server), 7357))
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	var s harness.Conn
	if err := n.RunUntil("accept", time.Minute, func() bool {
		s, err = l.Accept()
		return err == nil
	}); err != nil {
		return err
	}
	if st := c.State(); st != harness.Established {
		if err := n.Settle(); err != nil {
			return err
		}
		return fmt.Errorf("client %v after Accept", st)
	}
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	buf := make([]byte, 16)
	var got int
	if err := n.RunUntil("read", time.Minute, func() bool {
		got, err = s.Read(buf)
		return err == nil
	}); err != nil {
		return err
	}
	if string(buf[:got]) != "ping\n" {
		return fmt.Errorf("read %q", buf[:got])
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := n.RunUntil("EOF", time.Minute, func() bool {
		_, err = s.Read(buf)
		return err == io.EOF
	}); err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return n.Quiet(5 * time.Minute)
}

// runEcho builds a Net with the exec stack as client and in-process
// gVisor as server, and runs echo on it.
func runEcho(t *testing.T, opts Options, seed uint64) (*harness.Net, error) {
	t.Helper()
	return runEchoOn(t, harness.Config{Seed: seed, Client: NewPeer(opts), Server: gvisor.NewPeer(gvisor.Options{})})
}

// runEchoOn runs echo on a Net built from cfg.
func runEchoOn(t *testing.T, cfg harness.Config) (*harness.Net, error) {
	t.Helper()
	n, err := harness.NewNet(cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { n.Close() })
	return n, echo(n)
}

// connected builds a Net with the exec stack of opts as client and
// in-process gVisor as server unless cfg.Server says otherwise (cfg gives
// the rest: seed, MTU), and connects them on port 7357.
func connected(t *testing.T, cfg harness.Config, opts Options) (n *harness.Net, c, s harness.Conn) {
	t.Helper()
	cfg.Client = NewPeer(opts)
	if cfg.Server == nil {
		cfg.Server = gvisor.NewPeer(gvisor.Options{})
	}
	n, err := harness.NewNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if c, s, _, err = n.Connect(7357, time.Minute); err != nil {
		t.Fatal(err)
	}
	return n, c, s
}

// noLeaks fails t if goroutines started during the test are still running
// once it ends: a stack's process is reaped, and nothing waits on its
// pipes.
func noLeaks(t *testing.T) {
	before := gleak.Goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			leaked, err := gleak.HaveLeaked(before).Match(gleak.Goroutines())
			if err != nil {
				t.Fatal(err)
			}
			if !leaked {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("goroutines left running:\n%s", gleak.HaveLeaked(before).FailureMessage(gleak.Goroutines()))
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestAStackInAnotherProcessRunsOnTheVirtualClock(t *testing.T) {
	noLeaks(t)
	n, err := runEcho(t, testStack(), 5)
	if err != nil {
		t.Fatal(err)
	}
	// Both ends' states came through: the client's from STATE_CHANGE
	// events, ending in TIME-WAIT's 2MSL on the virtual clock.
	var client []string
	for _, c := range n.Trace().Changes {
		if c.Side == harness.Client {
			client = append(client, c.To.String())
		}
	}
	if got, want := strings.Join(client, " "), "SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT CLOSED"; got != want {
		t.Errorf("client states %s, want %s", got, want)
	}
	changes := n.Trace().Changes
	if last := changes[len(changes)-1]; last.To != harness.Closed || last.At < time.Minute {
		t.Errorf("the last change %v at %v, want CLOSED after TIME-WAIT's 60 s", last.To, last.At)
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	trace := func() string {
		n, err := runEcho(t, testStack(), 9)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		n.Trace().Format(&b, harness.FormatOptions{Absolute: true, StateChanges: true})
		return b.String()
	}
	if a, b := trace(), trace(); a != b {
		t.Fatalf("two runs with one seed differ:\n%s\n---\n%s", a, b)
	}
}

// A stack that goes wrong ends the run within seconds, with an error that
// says what it did, and leaves no process or goroutine behind.
func TestMisbehavingStacks(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		kind error
		want string
	}{
		{"crash", testStack("--fault", "crash@4"), ErrExited, "exit status 3"},
		{"crash at HELLO", testStack("--fault", "crash"), ErrExited, "crashing on purpose"},
		{"hang", testStack("--fault", "hang@5"), ErrTimeout, "did not answer"},
		{"garbage", testStack("--fault", "garbage@3"), ErrProtocol, "a frame whose length field is 4294967295"},
		{"text on stdout", testStack("--fault", "text"), ErrProtocol, "are text, not a frame"},
		{"malformed packet", testStack("--fault", "malformed-packet@2"), ErrProtocol, "malformed IPv4 packet (an IPv4 total length of"},
		{"wrong reply", testStack("--fault", "wrong-reply@3"), ErrProtocol, "replied with a SETOPT reply while answering STATE"},
		{"unsolicited", testStack("--fault", "unsolicited@3"), ErrProtocol, "sent PACKET_OUT after its last reply, with no request outstanding"},
		{"reached past until", testStack("--fault", "past-until"), ErrProtocol, "answered ADVANCE until"},
		{"stray TAKING", testStack("--fault", "stray-taking@3"), ErrProtocol, "sent TAKING while answering"},
		{"not a stack", Options{Command: []string{"true"}, ReplyTimeout: time.Second}, ErrExited, "exited (exit status 0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			start := time.Now()
			_, err := runEcho(t, tc.opts, 1)
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("took %v to fail", took)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant an *exec.Error, %v, saying %q", err, tc.kind, tc.want)
			}
			if e.Stack == "" || (tc.name != "unsolicited" && e.Request == 0) {
				t.Errorf("the error does not name the stack and the request: %+v", e)
			}
			t.Logf("%v", err)
		})
	}
}

// The stack's process is reaped when its run ends, whole or broken.
func TestTheStackIsReaped(t *testing.T) {
	for _, flags := range [][]string{nil, {"--fault", "hang@6"}} {
		var pid int
		opts := testStack(flags...)
		mk := NewPeer(opts)
		n, err := harness.NewNet(harness.Config{Client: func(env harness.PeerEnv) (harness.Peer, error) {
			p, err := mk(env)
			if err == nil {
				pid = p.(*peer).proc.cmd.Process.Pid
			}
			return p, err
		}, Server: gvisor.NewPeer(gvisor.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		echo(n)
		n.Close()
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: process %d still there after the run (%v)", flags, pid, err)
		}
	}
}

// What a stack cannot do ends the run as unsupported (a skip), saying
// what.
func TestUnsupported(t *testing.T) {
	noLeaks(t)
	opts := testStack()
	opts.NoTimestamps = true
	_, err := runEcho(t, opts, 1)
	if !errors.Is(err, harness.ErrUnsupported) || !strings.Contains(err.Error(), "TIMESTAMPS=0: gVisor always offers timestamps") {
		t.Errorf("a stack that cannot turn timestamps off: %v", err)
	}

	_, err = runEcho(t, testStack("--no-states"), 1)
	if !errors.Is(err, harness.ErrUnsupported) || !strings.Contains(err.Error(), "reports no TCP states") {
		t.Errorf("a stack without states, asked one: %v", err)
	}
}

// Over IPv6 the run speaks version 2, with 16-byte addresses, both ways:
// the stack in another process as client, then as server.
func TestIPv6SpeaksVersion2(t *testing.T) {
	noLeaks(t)
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		cfg := harness.Config{Seed: 3, ClientAddr: harness.ClientAddr6, ServerAddr: harness.ServerAddr6,
			Client: gvisor.NewPeer(gvisor.Options{}), Server: gvisor.NewPeer(gvisor.Options{})}
		if side == harness.Client {
			cfg.Client = NewPeer(testStack())
		} else {
			cfg.Server = NewPeer(testStack())
		}
		n, err := runEchoOn(t, cfg)
		if err != nil {
			t.Fatalf("the stack as %s: %v", side, err)
		}
		var ends []netip.Addr
		for _, c := range n.Trace().Changes {
			if c.Side == side {
				ends = append(ends, c.ID.LocalAddr, c.ID.RemoteAddr)
			}
		}
		if len(ends) == 0 {
			t.Fatalf("the stack as %s reported no states", side)
		}
		for _, a := range ends {
			if !a.Is6() || a.Is4In6() {
				t.Fatalf("the stack as %s reported a connection of %v, not IPv6 (%v)", side, a, ends)
			}
		}
	}
}

// A stack written for version 1 runs no IPv6 cell: a skip, saying why.
func TestIPv6OfAVersion1Stack(t *testing.T) {
	noLeaks(t)
	_, err := runEchoOn(t, harness.Config{ClientAddr: harness.ClientAddr6, ServerAddr: harness.ServerAddr6,
		Client: NewPeer(testStack("--version1")), Server: gvisor.NewPeer(gvisor.Options{})})
	if !errors.Is(err, harness.ErrUnsupported) || !strings.Contains(err.Error(), "speaks peer protocol version 1 only") {
		t.Errorf("a version 1 stack in an IPv6 run: %v", err)
	}
	if _, err := runEcho(t, testStack("--version1"), 1); err != nil {
		t.Errorf("a version 1 stack in an IPv4 run: %v", err)
	}
}

func TestFrameErrorsNameWhatCame(t *testing.T) {
	r := peerproto.NewFrameReader(strings.NewReader("hello, world\n"))
	_, err := r.Next()
	if err == nil || !strings.Contains(err.Error(), `"hello, world\n" are text`) {
		t.Errorf("text: %v", err)
	}
	r = peerproto.NewFrameReader(strings.NewReader("\x00\x00\x00\x09\x81"))
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a frame cut short: %v", err)
	}
}

// The Net notes when a test reads the states of a stack that reports none,
// whether from the stack (Conn.State) or from the trace (History).
func TestStatesReadOfAStackThatReportsNone(t *testing.T) {
	noLeaks(t)
	n, err := harness.NewNet(harness.Config{Client: NewPeer(testStack("--no-states")), Server: gvisor.NewPeer(gvisor.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.Server().Listen(7357); err != nil {
		t.Fatal(err)
	}
	c, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(harness.Server), 7357))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Quiet(time.Minute); err != nil {
		t.Fatal(err)
	}
	if n.StatesRead(harness.Client) || n.StatesRead(harness.Server) {
		t.Fatal("states read before anyone read them")
	}
	n.History(harness.Server, c.ID().Reverse())
	if n.StatesRead(harness.Server) {
		t.Error("reading the states of gVisor, which reports them, counted")
	}
	n.History(harness.Client, c.ID())
	if !n.StatesRead(harness.Client) {
		t.Error("reading the client's history did not count")
	}
}
