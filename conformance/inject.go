package conformance

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// Injecting segments a stack's own API cannot send.
//
// A scenario's two ends are real stacks, so neither can be asked to send a
// bare ACK to a listener, a RST out of the blue or a SYN from a spoofed
// address. InjectTo hands such a segment straight to one end, as if it had
// come from the far side of the wire. The injected packet is a trace record
// marked INJECTED (Net.Inject), in the capture too, so that the replies to
// it have their cause beside them.

// InjectTo builds an IPv4 packet carrying seg from src to side's address,
// hands it to side's stack and settles, so that the stack's answer (if any)
// is on the wire when it returns. An invalid src means the other end's
// address.
func (e *Env) InjectTo(side harness.Side, src netip.Addr, seg packet.Segment) {
	pkt := e.PacketTo(side, src, seg)
	e.InjectRaw(side, pkt.Encode(packet.Illegal{}))
}

// PacketTo is the IPv4 packet InjectTo would send: seg from src (invalid:
// the other end's address) to side's address, TTL 64. A scenario that
// sends something InjectTo cannot (fragments, padding) starts from it.
func (e *Env) PacketTo(side harness.Side, src netip.Addr, seg packet.Segment) packet.Packet {
	if !src.IsValid() {
		src = e.Net.Addr(side.Other())
	}
	return packet.Packet{IP: packet.IP{Src: src, Dst: e.Net.Addr(side), TTL: 64}, TCP: seg}
}

// InjectRaw hands whole IP packets straight to side's stack, in order, as
// if from the other end, and settles: for bytes InjectTo cannot build.
func (e *Env) InjectRaw(side harness.Side, pkts ...[]byte) {
	for _, p := range pkts {
		e.Net.Inject(side, p)
	}
	e.Settle()
}

// RepliesTo is every trace record since mark sent by side to dst (an
// injected segment's answers travel to the address it came from).
func (e *Env) RepliesTo(mark int, side harness.Side, dst netip.AddrPort) []*harness.Record {
	var out []*harness.Record
	for _, r := range e.Since(mark) {
		if r.Dir.From() == side && r.Packet.IP.Dst == dst.Addr() && r.Packet.TCP.DstPort == dst.Port() {
			out = append(out, r)
		}
	}
	return out
}

// ExpectOneReply checks that exactly one packet since mark went from side to
// dst and that it passes checks; it returns that packet's record.
func (e *Env) ExpectOneReply(mark int, side harness.Side, dst netip.AddrPort, what string, checks ...harness.SegCheck) *harness.Record {
	got := e.RepliesTo(mark, side, dst)
	if len(got) != 1 {
		e.Fail(fmt.Sprintf("exactly one %s from the %s to %v: %s", what, side, dst, harness.DescribeChecks(checks)),
			fmt.Sprintf("%d packet(s)\n%s", len(got), DescribeRecords(e.Since(mark))))
	}
	if err := harness.CheckRecord(got[0], checks...); err != nil {
		e.Fail(fmt.Sprintf("the %s from the %s to %v: %s", what, side, dst, harness.DescribeChecks(checks)),
			fmt.Sprintf("#%d: %v\n%s", got[0].Index, err, DescribeRecords(e.Since(mark))))
	}
	return got[0]
}

// expectStatesOf is ExpectStates for a connection the scenario holds no
// Conn for (one a listener never handed over): id is seen from side.
func ExpectStatesOf(e *Env, side harness.Side, id harness.FourTuple, want ...harness.State) {
	e.Settle()
	got := e.Net.States(side, id)
	if !slices.Equal(got, want) {
		e.Fail(fmt.Sprintf("%s states %s", side, FormatStates(want)),
			fmt.Sprintf("%s states %s\n%s", side, FormatStates(got), formatHistory(e.Net.History(side, id))))
	}
}
