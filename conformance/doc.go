// Package conformance is tcpbed's scenario library: what a scenario is
// (data: a name, a section, a summary, the pairings it runs in; plus a small
// Go function that drives a harness.Net through one part of a TCP
// connection's life), the Env it runs in with its checks on the wire, in
// both ends' states and at the application, the runner, the deviation
// registry (deviations_gvisor.go, deviations_linux.go) and the judge run
// after every cell. The scenarios themselves are in conformance/catalogue,
// which registers them; this package never imports it (the compiler holds
// the line), so a private catalogue can use the same library. The tcpbed
// command and the Ginkgo matrix run the same scenarios.
//
// A scenario reads as a story:
//
//	c, s := e.Connect()
//	mark := e.Mark()
//	e.Close(c)
//	e.ReadEOF(s)
//	e.ExpectExactly(mark,
//		C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)),
//		S2C(Flags(ACK), Seq(1), Ack(2), Len(0)))
//	e.ExpectStates(c, tcp.Established, tcp.FinWait1, tcp.FinWait2)
//
// Every Env helper that checks something fails the scenario at once (as
// testing.T's FailNow does) with a *Failure that says what was expected,
// what came, shows the trace, and gives the command that replays the run.
// This package does not import Ginkgo: it is plain Go.
//
// Peers: ours (ourstack), gvisor (gVisor's netstack, the reference whose
// gvisor->gvisor pairing is the control), linux (the Linux kernel's TCP
// in a private network namespace, harness/linux; linux.go), and exec:PATH
// [ARGS], a stack in another process speaking docs/peer-protocol.md
// (harness/exec; exec.go), which stands where ourstack stands. The matrix's
// columns are MatrixPairings: ourstack against gVisor both ways, ourstack
// with itself, the control, ourstack against Linux both ways, and gVisor
// against Linux both ways (the references side by side). A
// scenario runs with Linux wherever it runs with gVisor unless its RealTime
// says it does not fit a peer on real time (Linux's timers cost their real
// duration); where the namespace or the TUN cannot be made (not root), a
// run in a Linux pairing ends with linux.ErrUnavailable, which the suites
// and tcpbed report as a skip with the reason. Where a reference peer
// departs from the RFC, the scenario accepts it at that peer's end only,
// under a registered Deviation (deviations.go, linux_deviations.go).
package conformance
