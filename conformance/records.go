package conformance

import (
	"fmt"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// Helpers that read a transfer's story back from the trace: what each end
// advertised in its SYN, which segments were retransmissions, how many bytes
// were in flight. A corrupted packet's header cannot be trusted, so every
// helper here looks only at records that parsed intact.

// defaultMSS is the send MSS when the peer's SYN carried no MSS option (RFC
// 9293 3.7.1: "SendMSS ... the default of 536").
const defaultMSS = 536

// intact reports whether r parsed with valid checksums.
func IsIntact(r *harness.Record) bool { return r.ParseErr == nil }

// rel turns a relative sequence number into a seqnum.Value, so that every
// comparison goes through modular arithmetic.
func Rel(v uint32) seqnum.Value { return seqnum.Value(v) }

// lastSegment is the last record of recs that is intact and no RST: the
// latest a stack sent of its own stream.
func LastSegment(recs []*harness.Record) *harness.Record {
	for i := len(recs) - 1; i >= 0; i-- {
		if IsIntact(recs[i]) && !recs[i].Packet.TCP.Flags.Has(RST) {
			return recs[i]
		}
	}
	return nil
}

// synOf is the last intact SYN (or SYN-ACK) sent in dir, or nil.
func (e *Env) SynOf(dir harness.Dir) *harness.Record {
	recs := e.Since(0)
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if r.Dir == dir && IsIntact(r) && r.Packet.TCP.Flags.Has(SYN) {
			return r
		}
	}
	return nil
}

// sendMSS is the largest segment the sender in dir may send: the MSS the
// other end put in its SYN (RFC 9293 3.7.1), or 536 without one.
func (e *Env) SendMSS(dir harness.Dir) int {
	syn := e.SynOf(1 - dir)
	if syn == nil {
		e.Fail("a SYN from "+(1-dir).From().String()+" in the trace", "none")
	}
	if !syn.Packet.TCP.Options.HasMSS {
		return defaultMSS
	}
	return int(syn.Packet.TCP.Options.MSS)
}

// windowShift is the window scale the sender in dir applies to the windows
// it advertises: its own SYN's shift when both SYNs carried the option, else
// 0 (RFC 7323 2.2: "both sides must send Window Scale options in their SYN
// segments to enable window scaling in either direction").
func (e *Env) WindowShift(dir harness.Dir) uint {
	mine, theirs := e.SynOf(dir), e.SynOf(1-dir)
	if mine == nil || theirs == nil || !mine.Packet.TCP.Options.HasWindowScale || !theirs.Packet.TCP.Options.HasWindowScale {
		return 0
	}
	return uint(min(mine.Packet.TCP.Options.WindowScale, 14))
}

// tcpOptionBytes is how many option bytes r's TCP header carries.
func TCPOptionBytes(r *harness.Record) int {
	return len(r.TCPOptions)
}

// dataRecords are the intact records sent in dir that carry data.
func DataRecords(recs []*harness.Record, dir harness.Dir) []*harness.Record {
	var out []*harness.Record
	for _, r := range recs {
		if r.Dir == dir && IsIntact(r) && r.PayloadLen > 0 {
			out = append(out, r)
		}
	}
	return out
}

// expectSegmentsFitMSS checks every data segment sent in dir since mark:
// its data plus its TCP options fit the MSS the receiver advertised (RFC
// 9293 3.7.1: the effective send MSS is SendMSS less the TCP header's
// options; RFC 6691: the MSS option counts neither IP nor TCP headers).
func (e *Env) ExpectSegmentsFitMSS(mark int, dir harness.Dir) (largest int) {
	mss := e.SendMSS(dir)
	for _, r := range DataRecords(e.Since(mark), dir) {
		if n := r.PayloadLen + TCPOptionBytes(r); n > mss {
			e.Fatalf(fmt.Sprintf("%s segments to carry at most MSS=%d bytes of data and options", dir, mss),
				"#%d seq=%d carries %d bytes of data and %d of options", r.Index, r.RelSeq, r.PayloadLen, TCPOptionBytes(r))
		}
		largest = max(largest, r.PayloadLen)
	}
	return largest
}

// expectCumulativeAcks checks that the acknowledgment numbers sent in dir
// since mark never go backwards (RFC 9293 3.4: the ACK is cumulative, the
// next sequence number expected). skip leaves out records the wire
// re-ordered (they were launched after packets sent later).
func (e *Env) ExpectCumulativeAcks(mark int, dir harness.Dir, skip func(*harness.Record) bool) (acks int) {
	var last *harness.Record
	for _, r := range e.Since(mark) {
		if r.Dir != dir || !IsIntact(r) || !r.Packet.TCP.Flags.Has(ACK) || r.Packet.TCP.Flags.Has(RST) {
			continue
		}
		if skip != nil && skip(r) {
			continue
		}
		if last != nil && Rel(r.RelAck).LessThan(Rel(last.RelAck)) {
			e.Fatalf(fmt.Sprintf("%s acknowledgments never to go backwards", dir),
				"#%d ack=%d after #%d ack=%d", r.Index, r.RelAck, last.Index, last.RelAck)
		}
		last = r
		acks++
	}
	return acks
}

// retransmissions are the intact data records sent in dir since mark that
// begin below the highest sequence number sent before them in dir: data
// sent a second time.
func Retransmissions(recs []*harness.Record, dir harness.Dir) []*harness.Record {
	var out []*harness.Record
	var high seqnum.Value
	started := false
	for _, r := range DataRecords(recs, dir) {
		end := Rel(r.RelSeq).Add(seqnum.Size(r.PayloadLen))
		if started && Rel(r.RelSeq).LessThan(high) && r.Fate != harness.Duplicated {
			out = append(out, r)
		}
		if !started || high.LessThan(end) {
			high, started = end, true
		}
	}
	return out
}

// maxInFlight walks the trace since mark and returns the largest number of
// bytes the sender in dir had sent and not yet seen acknowledged: at each
// data segment it sends, its highest sequence number sent less the highest
// acknowledgment that had reached it by then (flightAtEachSend).
func MaxInFlight(recs []*harness.Record, dir harness.Dir) (most int, at *harness.Record) {
	for _, f := range FlightAtEachSend(recs, dir) {
		if f.Bytes > most {
			most, at = f.Bytes, f.Rec
		}
	}
	return most, at
}

// sackPermitted reports whether both SYNs offered SACK (RFC 2018 2).
func (e *Env) SACKPermitted() bool {
	a, b := e.SynOf(harness.ClientToServer), e.SynOf(harness.ServerToClient)
	return a != nil && b != nil && a.Packet.TCP.Options.SACKPermitted && b.Packet.TCP.Options.SACKPermitted
}

// RangeSet and SeqRange are the judge's: what a receiver held, rebuilt
// from the trace.
type (
	RangeSet = judge.RangeSet
	SeqRange = judge.SeqRange
)

// sackBlocks returns r's SACK blocks in relative sequence numbers of the
// data they acknowledge. The relative base is the data sender's ISN, which
// r's acknowledgment number gives: Ack - RelAck.
func SACKBlocks(r *harness.Record) []SeqRange {
	o := &r.Packet.TCP.Options
	base := uint32(r.Packet.TCP.Ack) - r.RelAck
	out := make([]SeqRange, 0, o.NumSACKBlocks)
	for _, b := range o.SACKBlocks[:min(o.NumSACKBlocks, packet.MaxSACKBlocks)] {
		out = append(out, SeqRange{Left: uint32(b.Left) - base, Right: uint32(b.Right) - base})
	}
	return out
}

// sacksAbove reports whether r selectively acknowledges data above seq.
func SACKsAbove(r *harness.Record, seq uint32) bool {
	for _, b := range SACKBlocks(r) {
		if Rel(seq).LessThan(Rel(b.Left)) {
			return true
		}
	}
	return false
}

// EachSendWithArrivedACKs walks the sends and arrivals of recs in the exact
// order the Net made them (harness.Events). Each intact ACK from the other
// end goes to arrived as it reaches the sender, each intact segment sent in
// dir to sent as it leaves: the sender's view of the ACK clock, with an ACK
// handed over at the same virtual instant as a send counted on the side of
// it that it really fell.
func EachSendWithArrivedACKs(recs []*harness.Record, dir harness.Dir, arrived, sent func(r *harness.Record)) {
	for _, ev := range harness.Events(recs) {
		r := ev.Rec
		switch {
		case !IsIntact(r):
		case ev.Arrival && r.Dir != dir && r.Packet.TCP.Flags.Has(ACK) && !r.Fate.Lost():
			arrived(r)
		case !ev.Arrival && r.Dir == dir:
			sent(r)
		}
	}
}
