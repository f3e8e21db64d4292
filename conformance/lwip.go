package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// LwIP is the peer kind of lwIP's TCP (Debian's liblwip, 2.1.3) through
// the adapter in peers/lwip, a program that speaks tcpbed's peer protocol:
// an exec stack the matrix knows by name, with columns of its own. Like
// any exec stack it runs the scenarios ourstack runs, where ourstack would
// stand (AsOurs); unlike ourstack it is not the stack under test but a
// peer with registered deviations (deviations_lwip.go), which its HELLO
// name, "lwip", matches.
const LwIP = "lwip"

// LwIPPeerEnv names the adapter's binary, overriding where the matrix
// looks for it (peers/lwip/tcpbed-lwip in the module, which make builds).
const LwIPPeerEnv = "TCPBED_LWIP_PEER"

// LwIPPairings are lwIP's columns of the matrix: lwIP at either end against
// gVisor, ourstack and Linux.
var LwIPPairings = []Pairing{{Client: LwIP, Server: GVisor}, {Client: GVisor, Server: LwIP}, {Client: LwIP, Server: Ours}, {Client: Ours, Server: LwIP}, {Client: LwIP, Server: Linux}, {Client: Linux, Server: LwIP}}

// LwIPMSL is lwIP's maximum segment lifetime: TCP_MSL in
// lwip/priv/tcp_priv.h, which Debian's lwipopts.h leaves at 60 s. It is a
// compile-time constant, so a run with an lwIP end gives both ends this MSL
// instead of DefaultMSL (the adapter answers any other MSL UNSUPPORTED:
// were the two to disagree, the cell would be skipped saying so, never
// judged against the wrong 2MSL).
const LwIPMSL = 60 * time.Second

// LwIPSYNRetries is how many times lwIP resends a SYN before the open
// fails: TCP_SYNMAXRTX, 6 in Debian's build.
const LwIPSYNRetries = 6

// IsLwIPPairing reports whether p has an lwIP end.
func IsLwIPPairing(p Pairing) bool { return p.Client == LwIP || p.Server == LwIP }

// lwipCommand is the adapter's command line, or an error wrapping
// harness.ErrUnsupported that says how to build it: a cell with an lwIP
// end is then skipped with that reason.
func lwipCommand() ([]string, error) {
	if path := os.Getenv(LwIPPeerEnv); path != "" {
		return []string{path}, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, fmt.Errorf("%w: the lwIP adapter: %v", harness.ErrUnsupported, err)
	}
	path := filepath.Join(root, "peers", "lwip", "tcpbed-lwip")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: the lwIP adapter is not built (%s missing): make lwip builds it, with liblwip-dev and a C compiler (scripts/install-lwip.sh installs them), or set %s", harness.ErrUnsupported, path, LwIPPeerEnv)
	}
	return []string{path}, nil
}

// moduleRoot is the directory of tcpbed's go.mod, found upwards from the
// working directory (the conformance package's tests run in conformance/,
// the CLI anywhere in the tree).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && len(b) > 0 && isTcpbedModule(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside tcpbed's source tree (no go.mod of github.com/tcpbed/tcpbed above the working directory); set %s", LwIPPeerEnv)
		}
		dir = parent
	}
}

func isTcpbedModule(gomod []byte) bool {
	const want = "module github.com/tcpbed/tcpbed\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}

// lwipUnfit are the runs with an lwIP end that cannot come to a verdict,
// by scenario and pairing, with the reason: each is skipped saying so,
// rather than left to the spec timeout (which leaks the run and its
// process for the rest of the matrix).
var lwipUnfit = map[string]string{
	"time-wait-reuse gvisor->lwip":   "lwIP in TIME-WAIT answers the new SYN with an ACK of the old connection (RFC 5961 4, allowed) and gVisor answers that ACK with a RST and a new SYN 2 µs later (gvisor-syn-timer-reset-by-bad-ack): the two loop without end, and virtual time barely moves",
	"time-wait-reuse linux->lwip":    "lwIP in TIME-WAIT answers each new SYN with an ACK of the old connection (RFC 5961 4, allowed) until its 120 s TIME-WAIT ends, and Linux resends the SYN on its real-time backoff meanwhile: minutes of real time",
	"ack-of-unsent-data lwip->linux": "lwIP takes the injected text (lwip-takes-data-with-ack-of-unsent), so its RCV.NXT passes Linux's SND.NXT; from then on each answers the other's every ACK with one of its own (RFC 9293 3.10.7.4: a segment below RCV.NXT, an ACK above SND.NXT), and Linux's challenge-ACK rate limit, on real time, never stops it: an ACK loop without end, virtual time 1 ms a round",
}

// lwipSettings gives a run with an lwIP end lwIP's fixed MSL, unless the
// scenario chose an MSL of its own (then the adapter refuses it, a skip),
// and returns the MSL the run judges TIME-WAIT by (or why the run cannot
// be made: lwipUnfit). Linux's MSL is fixed
// too, at 30 s (TIME-WAIT is TCP_TIMEWAIT_LEN, 60 s): with Linux at the
// other end each end keeps its own, and the run judges by lwIP's, since a
// Linux end's TIME-WAIT is observed in its socket table, not timed.
func lwipSettings(p Pairing, s *Scenario, setup *Setup) (time.Duration, error) {
	if why, ok := lwipUnfit[s.Name+" "+p.Ends().String()]; ok { // in either family
		return 0, fmt.Errorf("%w: %s does not run in %s: %s", harness.ErrUnsupported, s.Name, p, why)
	}
	if !IsLwIPPairing(p) || setup.TCP.MSL != DefaultMSL {
		return setup.TCP.MSL, nil
	}
	if IsLinuxPairing(p) {
		setup.Ours.Settings.MSL = LwIPMSL // the lwIP end's, as an exec stack takes ourstack's settings
		return LwIPMSL, nil
	}
	setup.TCP.MSL = LwIPMSL
	return LwIPMSL, nil
}
