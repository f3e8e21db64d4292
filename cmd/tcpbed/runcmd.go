package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/ladder"
	"github.com/tcpbed/tcpbed/harness/linux"
)

// runScenario is `tcpbed run NAME ...`.
func runScenario(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tcpbed run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kinds := strings.Join(conformance.PeerKinds, "|") + "|exec:PATH [ARGS]|exec"
	client := fs.String("client", "", "the dialing stack: "+kinds)
	server := fs.String("server", "", "the listening stack: "+kinds)
	seed := fs.Uint64("seed", 1, "seed for ISNs, ports and fault decisions")
	pcapPath := fs.String("pcap", "", "write a pcapng capture of the run to `FILE`, each packet the wire did not simply deliver commented with its fate")
	showTrace := fs.Bool("trace", false, "print the trace, tcpdump style, with both ends' states and a line for each state change")
	abs := fs.Bool("abs", false, "absolute sequence numbers in the trace")
	mtu := fs.Int("mtu", 0, fmt.Sprintf("link MTU (default: the scenario's own, else %d)", harness.DefaultMTU))
	familyName := fs.String("family", "ipv4", "IP family of the run: ipv4 or ipv6")
	ladderPath := fs.String("ladder", "", "draw a ladder diagram of the run to `FILE`: SVG, or Mermaid if FILE ends in .mmd or .md")

	// Flags may come before or after the scenario's name.
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return exitBadArgs
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 {
		fmt.Fprintf(stderr, "tcpbed run: want exactly one scenario name, got %d\n%s", len(names), usage)
		return exitBadArgs
	}
	s, ok := conformance.Lookup(names[0])
	if !ok {
		fmt.Fprintf(stderr, "tcpbed run: unknown scenario %q; valid scenarios: %s\n", names[0], strings.Join(conformance.Names(), ", "))
		return exitBadArgs
	}
	for _, p := range []struct{ flag, value string }{{"--client", *client}, {"--server", *server}} {
		if p.value == "" {
			fmt.Fprintf(stderr, "tcpbed run: %s is missing: name the %s stack, one of %s\n", p.flag, map[string]string{"--client": "dialing", "--server": "listening"}[p.flag], strings.Join(conformance.PeerKinds, ", "))
			return exitBadArgs
		}
		if conformance.IsExec(p.value) {
			if _, err := conformance.ExecCommand(p.value); err != nil {
				fmt.Fprintf(stderr, "tcpbed run: %s: %v\n", p.flag, err)
				return exitBadArgs
			}
		}
		if !conformance.ValidPeer(p.value) {
			fmt.Fprintf(stderr, "tcpbed run: %s %q: unknown peer; valid peers: %s, %s\n", p.flag, p.value, strings.Join(conformance.PeerKinds, ", "), conformance.ExecPeerKinds)
			return exitBadArgs
		}
	}
	if *mtu != 0 && (*mtu < 68 || *mtu > 65535) {
		fmt.Fprintf(stderr, "tcpbed run: --mtu %d out of range [68, 65535]\n", *mtu)
		return exitBadArgs
	}
	family, err := conformance.ParseFamily(*familyName)
	if err != nil {
		fmt.Fprintf(stderr, "tcpbed run: --family: %v\n", err)
		return exitBadArgs
	}
	pairing := conformance.Pairing{Client: *client, Server: *server, Family: family}
	if reason := s.SkipReason(pairing); reason != "" {
		fmt.Fprintf(stderr, "tcpbed run: %s does not run in %s: %s\n", s.Name, pairing, reason)
		return exitBadArgs
	}

	opts := conformance.RunOptions{Pairing: pairing, Seed: *seed, MTU: *mtu}
	var pcapFile *os.File
	var pcapBuf *bufio.Writer
	if *pcapPath != "" {
		f, err := os.Create(*pcapPath)
		if err != nil {
			fmt.Fprintf(stderr, "tcpbed run: %v\n", err)
			return exitBadArgs
		}
		pcapFile, pcapBuf = f, bufio.NewWriter(f)
		opts.Pcap = pcapBuf
	}

	start := time.Now()
	res := conformance.Execute(s, opts)
	real := time.Since(start)

	if pcapFile != nil {
		var pcapErr error
		if res.Net != nil {
			pcapErr = res.Net.PcapErr()
		}
		if err := errors.Join(pcapErr, pcapBuf.Flush(), pcapFile.Close()); err != nil {
			fmt.Fprintf(stderr, "tcpbed run: writing %s: %v\n", *pcapPath, err)
			return exitFail
		}
	}
	if *ladderPath != "" && res.Net != nil {
		if err := writeLadder(*ladderPath, res, *abs); err != nil {
			fmt.Fprintf(stderr, "tcpbed run: writing %s: %v\n", *ladderPath, err)
			return exitFail
		}
	}
	var failure *conformance.Failure
	if errors.Is(res.Err, linux.ErrUnavailable) || errors.Is(res.Err, harness.ErrUnsupported) {
		fmt.Fprintf(stdout, "SKIP %s (%s): %v\n", s.Name, pairing, res.Err)
		return exitSkipped
	}
	if res.Err != nil && !errors.As(res.Err, &failure) {
		fmt.Fprintf(stderr, "tcpbed run: %s: %v\n", s.Name, res.Err)
		return exitFail
	}
	if *showTrace && failure == nil {
		res.Net.Trace().Format(stdout, harness.FormatOptions{Absolute: *abs, StateChanges: true})
	}
	if failure != nil {
		if *abs || *showTrace {
			var b strings.Builder
			res.Net.Trace().Format(&b, harness.FormatOptions{Absolute: *abs, StateChanges: *showTrace})
			failure.Trace = b.String()
		}
		fmt.Fprintf(stdout, "FAIL %s\n%v", s.Name, failure)
		printNotes(stdout, res)
		return exitFail
	}
	fmt.Fprintf(stdout, "PASS %s (%s, seed %d): %d packets, %v of virtual time in %v\n",
		s.Name, pairing, *seed, len(res.Net.Trace().Records), res.Elapsed.Round(time.Microsecond), real.Round(time.Microsecond))
	printNotes(stdout, res)
	return exitPass
}

// printNotes says which allowed behaviours the run saw, and which
// registered peer deviations from the RFC it accepted, with the rule each
// departs from.
func printNotes(w io.Writer, res *conformance.Result) {
	for _, note := range res.Observations {
		fmt.Fprintf(w, "  saw: %s\n", note)
	}
	known := map[string]conformance.Deviation{}
	for _, d := range conformance.KnownDeviations() {
		known[d.Name] = d
	}
	for _, name := range res.Deviations {
		fmt.Fprintf(w, "  deviation: %s\n", known[name])
	}
}

// writeLadder draws the run's trace as a ladder diagram.
func writeLadder(path string, res *conformance.Result, absolute bool) error {
	d := ladder.Build(res.Net.Trace(), ladder.Options{
		Client:   "client (" + res.Pairing.Client + ")",
		Server:   "server (" + res.Pairing.Server + ")",
		Absolute: absolute,
	})
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if ext := filepath.Ext(path); ext == ".mmd" || ext == ".md" {
		err = d.Mermaid(w)
	} else {
		err = d.SVG(w)
	}
	return errors.Join(err, w.Flush(), f.Close())
}
