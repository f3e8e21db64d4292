// Package harness wires two TCP peers together over an in-memory wire that
// carries whole IPv4 packets, on one virtual clock, and records everything
// that crosses.
//
// A Net joins a client and a server. Each end is a Peer, each kind in its own
// package with a NewPeer constructor: gVisor's netstack (harness/gvisor),
// tcpbed's own stack (harness/ours), Linux's TCP behind a TUN device
// (harness/linux), and any stack in another process, in any language,
// that speaks the peer protocol of docs/peer-protocol.md (harness/exec). A
// raw peer (RawPeer) lets a test send any segment it
// builds and read every segment sent back, in the style of gVisor's
// packetimpact. Peers report in this package's vocabulary (State, FourTuple,
// Counters) and take a scenario's wishes as TCPSettings, so nothing above
// the peers imports a stack.
//
// A run is one deterministic loop:
//
//   - act: an application call on a peer (Listen, Dial, Accept, Read,
//     Write, CloseWrite, Close, Abort), all non-blocking;
//   - Settle: deliver every packet due now, one at a time (or, to a stack
//     that takes bursts, one connection's packets that arrived at one
//     instant together, BurstTaker), and let its receiver finish
//     processing them before the next; no real-time sleep
//     decides anything (for gVisor, see harness/gvisor on how its processor
//     goroutine is paused and resumed as a barrier);
//   - Advance / Step / RunUntil: move the virtual Clock to the next timer or
//     packet arrival, fire it, settle again. TIME-WAIT's 2MSL or two minutes
//     of RTO backoff cost milliseconds of real time.
//
// The wire models each direction (LinkConfig: delay, bandwidth, a queue with
// tail drop) and applies fault Rules (drop, duplicate, delay, reorder,
// corrupt; by direction, predicate, Nth match, probability). One seed fixes
// every random choice: both stacks' ISNs and ports and every fault decision,
// so the same seed gives a byte-identical trace and capture.
//
// Every packet that crosses is recorded once, in the order it entered the
// wire, with its virtual time, direction, parsed headers, fate, and both
// ends' states after it was processed (Trace, Record). The trace prints in
// tcpdump's style (Trace.Format) and can be captured as a pcap file
// (Config.Pcap) that Wireshark and tshark read.
package harness
