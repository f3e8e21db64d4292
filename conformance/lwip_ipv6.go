package conformance

import (
	"errors"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// LwIPFragmentsToPathMTU reports whether the sender in dir is lwIP over
// IPv6 and, once icmp (a Packet Too Big) had reached it, sent its
// segments as IPv6 fragments rather than smaller segments
// (LwIPPathMTUBySourceFragments); it then records the deviation and
// returns how many fragments it sent. Whether each fitted the path is
// the caller's check.
func (e *Env) LwIPFragmentsToPathMTU(recs []*harness.Record, dir harness.Dir, icmp *harness.Record) (fragments int, ok bool) {
	if e.PeerKind(dir.From()) != LwIP || e.Pairing.Family != IPv6 {
		return 0, false
	}
	for _, r := range recs {
		if r.Dir == dir && icmp.ReachedBefore(r) && errors.Is(r.ParseErr, packet.ErrFragment) {
			fragments++
		}
	}
	if fragments == 0 {
		return 0, false
	}
	e.Deviates(LwIPPathMTUBySourceFragments)
	return fragments, true
}

// LwIPParamProblemQuoteUnreadable reports whether m, a Parameter Problem
// from side, is lwIP's that quotes no IPv6 header
// (LwIPParamProblemQuotesFromTheHeader), and records the deviation if so.
func (e *Env) LwIPParamProblemQuoteUnreadable(side harness.Side, m *packet.ICMP) bool {
	if e.PeerKind(side) != LwIP || !m.QuoteUnreadable {
		return false
	}
	e.Deviates(LwIPParamProblemQuotesFromTheHeader)
	return true
}

// LwIPHeedsForgedPacketTooBig reports whether side is lwIP over IPv6,
// which acts on any Packet Too Big whatever sequence number it quotes
// (LwIPPacketTooBigUnvalidated), and records the deviation if so.
func (e *Env) LwIPHeedsForgedPacketTooBig(side harness.Side) bool {
	if e.PeerKind(side) != LwIP || e.Pairing.Family != IPv6 {
		return false
	}
	e.Deviates(LwIPPacketTooBigUnvalidated)
	return true
}
