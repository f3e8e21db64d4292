// Command tcpbed-peer serves one of tcpbed's in-process stacks over the
// peer protocol (docs/peer-protocol.md) on its standard input and output:
// the protocol's reference implementation, and its conformance check (a
// test runs the catalogue with it at either end and expects what the
// stack does in process, packet for packet).
//
//	tcpbed-peer [--realtime] [--no-states] [--no-counters] [--no-advance-until] [--no-bursts] [--fault KIND[@N]] ours|gvisor
//
//	go run ./cmd/tcpbed run time-wait --client "exec:$(go env GOPATH)/bin/tcpbed-peer ours" --server gvisor
//
// --realtime serves the stack on real time (as a stack that cannot follow
// tcpbed's clock would run); --no-states, --no-counters, --no-advance-until
// and --no-bursts leave out those capabilities; --fault breaks the protocol on purpose (crash, hang,
// garbage, malformed-packet, wrong-reply, text), after N requests, to see
// what tcpbed makes of a stack that does.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
	"github.com/tcpbed/tcpbed/harness/exec/serve"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/ours"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

const usage = "usage: tcpbed-peer [--realtime] [--no-states] [--no-counters] [--no-advance-until] [--no-bursts] [--fault KIND[@N]] ours|gvisor\n"

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tcpbed-peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	realTime := fs.Bool("realtime", false, "serve the stack on real time (its HELLO says REAL_TIME)")
	noStates := fs.Bool("no-states", false, "report no TCP states (no STATES capability)")
	noCounters := fs.Bool("no-counters", false, "report no counters (no COUNTERS capability)")
	noAdvanceUntil := fs.Bool("no-advance-until", false, "answer ADVANCE one timer at a time (no ADVANCE_UNTIL capability)")
	noBursts := fs.Bool("no-bursts", false, "take packets one PACKET at a time (no BURSTS capability)")
	faultFlag := fs.String("fault", "", "break the protocol on purpose: "+strings.Join(serve.FaultNames(), ", ")+", after N requests with @N")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	opts := serve.Options{RealTime: *realTime, NoStates: *noStates, NoCounters: *noCounters, NoAdvanceUntil: *noAdvanceUntil, NoBursts: *noBursts}
	switch fs.Arg(0) {
	case "ours":
		opts.Name, opts.Make = "ourstack (tcpbed-peer)", makeOurs
	case "gvisor":
		opts.Name, opts.Make = "gVisor netstack (tcpbed-peer)", makeGVisor
	default:
		fmt.Fprintf(stderr, "tcpbed-peer: unknown stack %q (ours or gvisor)\n%s", fs.Arg(0), usage)
		return 2
	}
	if *faultFlag != "" {
		f, err := serve.ParseFault(*faultFlag)
		if err != nil {
			fmt.Fprintf(stderr, "tcpbed-peer: --fault: %v\n", err)
			return 2
		}
		opts.Fault = f
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	err := serve.Serve(stdin, flushing{out}, opts)
	if errors.Is(err, serve.ErrCrash) {
		fmt.Fprintf(stderr, "tcpbed-peer: %v: --fault %s\n", err, *faultFlag)
		return 3
	}
	if err != nil {
		fmt.Fprintf(stderr, "tcpbed-peer: %v\n", err)
		return 1
	}
	return 0
}

// flushing writes through a bufio.Writer and flushes: Serve writes a
// request's events and reply in one Write, which goes out in one system
// call or few.
type flushing struct{ w *bufio.Writer }

func (f flushing) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.w.Flush()
	}
	return n, err
}

// makeOurs builds ourstack with what HELLO asks: the settings, and
// ourstack's own switches for window scale, timestamps and buffers.
func makeOurs(env harness.PeerEnv, cfg serve.Config) (harness.Peer, error) {
	return ours.NewPeer(ours.Options{
		Settings: cfg.Settings,
		TCP: tcp.Config{
			NoWindowScale: cfg.NoWindowScale, NoTimestamps: cfg.NoTimestamps,
			ReceiveBuffer: cfg.ReceiveBuffer, SendBuffer: cfg.SendBuffer,
		},
	})(env)
}

// makeGVisor builds gVisor's netstack with the settings; it has no switch
// for window scale, timestamps or (in the harness's peer) buffers.
func makeGVisor(env harness.PeerEnv, cfg serve.Config) (harness.Peer, error) {
	switch {
	case cfg.NoWindowScale:
		return nil, &serve.UnsupportedError{Option: peerproto.OptWindowScale, Reason: "gVisor always offers window scale"}
	case cfg.NoTimestamps:
		return nil, &serve.UnsupportedError{Option: peerproto.OptTimestamps, Reason: "gVisor always offers timestamps"}
	case cfg.ReceiveBuffer != 0:
		return nil, &serve.UnsupportedError{Option: peerproto.OptRecvBuffer, Reason: "the gVisor peer has no per-connection buffer switch"}
	case cfg.SendBuffer != 0:
		return nil, &serve.UnsupportedError{Option: peerproto.OptSendBuffer, Reason: "the gVisor peer has no per-connection buffer switch"}
	}
	return gvisor.NewPeer(gvisor.Options{Settings: cfg.Settings})(env)
}
