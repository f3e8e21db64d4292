package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// defaultPeerMSS is the send MSS to assume when the peer's SYN carries no MSS
// option (RFC 9293 3.7.1: "the default of 536 bytes" for IPv4, RFC 1122
// 4.2.2.6).
const defaultPeerMSS = 536

// defaultPeerMSS6 is the same for IPv6: 1220, IPv6's minimum MTU of 1280
// less the fixed IPv6 and TCP headers (RFC 9293 3.7.1, RFC 8200 5).
const defaultPeerMSS6 = 1220

// maxWindowShift is the largest window scale RFC 7323 2.3 allows: "the
// shift.cnt value ... MUST be less than or equal to 14".
const maxWindowShift = 14

// timestampsOptionLen is the room the timestamps option takes in every
// segment once negotiated: 10 bytes plus two NOPs to align it (RFC 7323
// appendix A). RFC 6691: the MSS does not account for options, so the sender
// subtracts them.
const timestampsOptionLen = 12

// pawsIdleLimit: RFC 7323 5.5, a TS.Recent older than 24 days is no longer
// compared against (the peer's clock may have wrapped).
const pawsIdleLimit = 24 * 24 * time.Hour

// negotiated holds what the SYN exchange settled: which options are in use
// and their parameters, plus the timestamp state of RFC 7323 sections 3-5.
type negotiated struct {
	// What we offer in our SYN.
	ourMSS    int
	offerWS   bool
	ourShift  uint8
	offerSACK bool
	offerTS   bool

	// What both ends agreed.
	peerMSS int
	// pathMSS is the segment size the path MTU allows, once PMTU discovery
	// has learnt one (RFC 1191, RFC 8201); 0 until then.
	pathMSS  int
	sendMSS  int   // payload bytes per full-sized segment we send
	sndShift uint8 // applied to the peer's window field
	rcvShift uint8 // applied to ours
	wsOK     bool
	sackOK   bool
	tsOK     bool

	// Timestamps (RFC 7323 4.3, 5.3).
	tsOffset    uint32 // added to our millisecond clock (RFC 7323 5.4)
	tsRecent    uint32 // TS.Recent
	tsRecentAt  time.Time
	lastAckSent seqnum.Value // Last.ACK.sent
}

func (o *negotiated) init(cfg Config, iss seqnum.Value, ipv6 bool) {
	o.ourMSS = int(cfg.MSS)
	o.offerWS = !cfg.NoWindowScale
	o.ourShift = windowShiftFor(cfg.ReceiveBuffer)
	o.offerSACK = !cfg.NoSACK
	o.offerTS = !cfg.NoTimestamps
	// RFC 7323 5.4 asks for a random per-connection offset. Until the
	// Stack sets one per four-tuple (SetTimestampOffset), a mixed copy of
	// the ISS serves without the TCB needing randomness of its own.
	o.tsOffset = uint32(iss)*2654435761 + 0x9e3779b9
	o.peerMSS = defaultPeerMSS
	if ipv6 {
		o.peerMSS = defaultPeerMSS6
	}
	o.updateSendMSS()
}

// windowShiftFor is the smallest shift that lets a window of buf bytes be
// advertised in 16 bits (RFC 7323 2.2), at most 14.
func windowShiftFor(buf int) uint8 {
	var shift uint8
	for shift < maxWindowShift && buf>>shift > 0xffff {
		shift++
	}
	return shift
}

// synOptions are the options of our SYN (synAck false) or SYN-ACK. A SYN-ACK
// carries an option only when the peer's SYN did (RFC 7323 2.2, 3.2; RFC
// 2018 2), which negotiate* has already folded into the *OK fields.
func (o *negotiated) synOptions(synAck bool, now time.Time) wire.Options {
	opts := wire.Options{HasMSS: true, MSS: uint16(o.ourMSS)}
	ws, sack, ts := o.offerWS, o.offerSACK, o.offerTS
	if synAck {
		ws, sack, ts = o.wsOK, o.sackOK, o.tsOK
	}
	if ws {
		opts.HasWindowScale = true
		opts.WindowScale = o.ourShift
	}
	opts.SACKPermitted = sack
	if ts {
		opts.HasTimestamps = true
		opts.TSVal = o.tsVal(now)
		if synAck {
			opts.TSEcr = o.tsRecent
		}
	}
	return opts
}

// negotiateFromSYN settles the options from the peer's SYN (passive open, or
// the crossing SYN of a simultaneous open): each option is in use when we
// offered it and the SYN carries it.
func (o *negotiated) negotiateFromSYN(cfg Config, syn *wire.Segment, now time.Time) {
	so := &syn.Options
	if so.HasMSS {
		o.peerMSS = max(int(so.MSS), minMSS)
	}
	o.wsOK = o.offerWS && so.HasWindowScale
	if o.wsOK {
		// RFC 7323 2.3: a shift over 14 is used as 14.
		o.sndShift = min(so.WindowScale, maxWindowShift)
		o.rcvShift = o.ourShift
	} else {
		o.sndShift, o.rcvShift = 0, 0
	}
	o.sackOK = o.offerSACK && so.SACKPermitted
	o.tsOK = o.offerTS && so.HasTimestamps
	if o.tsOK {
		o.tsRecent = so.TSVal
		o.tsRecentAt = now
	}
	o.updateSendMSS()
}

// negotiateFromSYNACK settles the options from the SYN-ACK answering our SYN
// (RFC 7323 2.2: window scaling is in use only if both SYNs carried it).
func (o *negotiated) negotiateFromSYNACK(cfg Config, synAck *wire.Segment, now time.Time) {
	o.negotiateFromSYN(cfg, synAck, now)
}

// negotiateCookie sets the options of a connection rebuilt from a SYN
// cookie: only the MSS survived.
func (o *negotiated) negotiateCookie(cfg Config, mss uint16) {
	if mss != 0 {
		o.peerMSS = max(int(mss), minMSS)
	}
	o.wsOK, o.sackOK, o.tsOK = false, false, false
	o.sndShift, o.rcvShift = 0, 0
	o.updateSendMSS()
}

// updateSendMSS computes Eff.snd.MSS (RFC 9293 3.7.1) less the options every
// segment carries (RFC 6691).
func (o *negotiated) updateSendMSS() {
	mss := o.segmentLimit()
	if o.tsOK {
		mss -= timestampsOptionLen
	}
	o.sendMSS = max(mss, 1)
}

// segmentLimit is the largest segment, options included, that we may send:
// the smaller MSS of the two ends (RFC 9293 3.7.1), and no more than the
// path MTU allows.
func (o *negotiated) segmentLimit() int {
	mss := min(o.peerMSS, o.ourMSS)
	if o.pathMSS != 0 {
		mss = min(mss, o.pathMSS)
	}
	return mss
}

// tsVal is our TSval clock: milliseconds plus the connection's offset (RFC
// 7323 5.4).
func (o *negotiated) tsVal(now time.Time) uint32 {
	return uint32(now.UnixMilli()) + o.tsOffset
}

// tsLess compares timestamps modulo 2^32 (RFC 7323 5.3: "the comparison
// ... must be done using 32-bit unsigned modular arithmetic").
func tsLess(a, b uint32) bool { return int32(a-b) < 0 }

// pawsRejects is RFC 7323 5.3 R1: a segment whose TSval is older than
// TS.Recent is an old duplicate, unless it is an RST or TS.Recent itself has
// gone stale (5.5).
func (o *negotiated) pawsRejects(seg *wire.Segment, now time.Time) bool {
	if !o.tsOK || !seg.Options.HasTimestamps || seg.Flags.Has(wire.FlagRST) {
		return false
	}
	if !tsLess(seg.Options.TSVal, o.tsRecent) {
		return false
	}
	if now.Sub(o.tsRecentAt) > pawsIdleLimit {
		return false
	}
	return true
}

// updateTSRecent is RFC 7323 4.3 (2): remember the TSval of a segment that
// covers Last.ACK.sent, so that the TSecr we echo is the one that lets the
// peer measure the RTT of the segment we are acknowledging.
func (o *negotiated) updateTSRecent(seg *wire.Segment, now time.Time) {
	if !o.tsOK || !seg.Options.HasTimestamps {
		return
	}
	if tsLess(seg.Options.TSVal, o.tsRecent) {
		return
	}
	if seg.Seq.LessThanEq(o.lastAckSent) {
		o.tsRecent = seg.Options.TSVal
		o.tsRecentAt = now
	}
}
