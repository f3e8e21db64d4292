// Command tcpbed runs tcpbed's conformance scenarios one at a time.
//
//	tcpbed list [--rfc SECTION]
//	tcpbed deviations
//	tcpbed run NAME --client KIND --server KIND [--seed N] [--pcap FILE] [--trace] [--abs] [--mtu M] [--ladder FILE]
//
// A KIND is ours, gvisor, linux, or a stack in another process that speaks
// tcpbed's peer protocol (docs/peer-protocol.md): exec:PATH [ARGS], or
// exec for the one TCPBED_EXEC_PEER names.
//
// run exits 0 when the scenario passes, 1 when it fails (saying what was
// expected, what came, and showing the trace), 2 on bad arguments, and 3
// when it cannot run here (a Linux peer without a network namespace or TUN:
// run as root; a stack that cannot do what the scenario asks).
//
// linux is the Linux kernel's TCP in a private network namespace
// (harness/linux): it runs on real time, so a scenario that waits on its
// timers takes their real duration, and some do not run with it at all
// (they say why).
package main

import (
	"fmt"
	"io"
	"os"

	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios
)

// Exit codes.
const (
	exitPass    = 0
	exitFail    = 1
	exitBadArgs = 2
	exitSkipped = 3
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage:
  tcpbed list [--rfc SECTION]
      print every scenario: name, section, summary and the RFC sections it
      checks; --rfc "9293 3.10" lists only those checking RFC 9293 3.10
      or a subsection of it
  tcpbed deviations
      print every known departure of a reference peer (gVisor, Linux) from
      the RFCs that a scenario accepts from that peer only, with the rule
  tcpbed run NAME --client KIND --server KIND [--seed N] [--pcap FILE] [--trace] [--abs] [--mtu M] [--ladder FILE]
      run one scenario; exit 0 on pass, 1 on failure, 2 on bad arguments,
      3 when it cannot run here (linux needs root: a network namespace and a TUN;
      a stack that cannot do what the scenario asks)
      KIND           ours, gvisor, linux, or a stack in another process speaking
                     docs/peer-protocol.md: 'exec:PATH [ARGS]', or exec for the
                     one TCPBED_EXEC_PEER names
      --pcap FILE    capture every packet (Wireshark, tshark)
      --trace        print the trace, tcpdump style, with both ends' states
      --abs          absolute sequence numbers in the trace
      --ladder FILE  draw a ladder diagram (SVG; Mermaid for .mmd or .md)
`

// run is the command, with its streams, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadArgs
	}
	switch args[0] {
	case "list":
		switch {
		case len(args) == 1:
			return list(stdout, "")
		case len(args) == 3 && args[1] == "--rfc" && args[2] != "":
			return list(stdout, args[2])
		}
		fmt.Fprintf(stderr, "tcpbed list takes only --rfc SECTION\n%s", usage)
		return exitBadArgs
	case "deviations":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "tcpbed deviations takes no arguments\n%s", usage)
			return exitBadArgs
		}
		return deviations(stdout)
	case "run":
		return runScenario(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitPass
	}
	fmt.Fprintf(stderr, "tcpbed: unknown command %q\n%s", args[0], usage)
	return exitBadArgs
}
