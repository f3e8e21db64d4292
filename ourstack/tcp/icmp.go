package tcp

import (
	"syscall"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// ICMPKind is what an ICMP error means to TCP (RFC 1122 4.2.3.9, RFC 9293
// 3.9 "Error handling", RFC 5461).
type ICMPKind int

const (
	// ICMPSoft is a condition that may pass (net or host unreachable, time
	// exceeded, parameter problem): TCP "MUST NOT abort the connection"
	// (RFC 1122 4.2.3.9) but keeps it to report if the connection later
	// times out.
	ICMPSoft ICMPKind = iota
	// ICMPHard is protocol or port unreachable (RFC 1122 4.2.3.9: "hard
	// error conditions, so TCP SHOULD abort the connection"). As RFC 5461
	// 4.1 recommends, and as Linux and the BSDs do, it ends only a
	// connection attempt: in a synchronized state it is treated as soft,
	// since a transient routing fault could otherwise kill a connection
	// the peer still holds.
	ICMPHard
	// ICMPPacketTooBig is Fragmentation Needed with DF set (RFC 1191) or
	// ICMPv6 Packet Too Big (RFC 8201): the path's MTU is smaller than a
	// segment we sent.
	ICMPPacketTooBig
)

// ICMPReport is an ICMP error about one of the connection's segments.
type ICMPReport struct {
	Kind ICMPKind
	// Seq is the sequence number of the segment the message quotes.
	Seq seqnum.Value
	// Err is what the application is told if the report ends the
	// connection, now or at its timeout (EHOSTUNREACH, ECONNREFUSED, ...).
	Err error
	// MTU is the path MTU a Packet Too Big message reports; IPHeaderLen is
	// the IP header our segments carry (20 for IPv4, 40 for IPv6), to turn
	// it into a segment size; MinMTU is the family's floor (68 for IPv4,
	// RFC 791 and RFC 1191 3; 1280 for IPv6, RFC 8200 5).
	MTU, IPHeaderLen, MinMTU int
}

// Mid-path MTUs of RFC 1191 7 ("plateaus"), for a Fragmentation Needed
// message from a router that predates RFC 1191 and reports no MTU.
var mtuPlateaus = []int{32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68}

// PlateauBelow is the largest RFC 1191 plateau below size, the estimate of
// the path MTU when a router rejected a size-byte datagram without saying
// what would fit; 68 at least.
func PlateauBelow(size int) int {
	for _, p := range mtuPlateaus {
		if p < size {
			return p
		}
	}
	return 68
}

// HandleICMP takes an ICMP error about the connection. It reports whether
// the report was acted on: a report quoting a sequence number we did not
// send or that is already acknowledged is ignored (RFC 5927 4.1, the check
// RFC 9293 3.10.7 leaves to it: SND.UNA <= SEG.SEQ < SND.NXT), since anyone
// can forge an ICMP message, and one that blindly reset or slowed
// connections would be an attack (RFC 5927 5-7).
func (t *TCB) HandleICMP(now time.Time, r ICMPReport) bool {
	if t.state == Closed || t.state == Listen || t.state == TimeWait {
		return false
	}
	// sndMax, not sndNxt: after a timeout sndNxt rewinds, but the
	// segments sent past it are still ours and may still be quoted.
	if !r.Seq.InRange(t.sndUna, t.sndMax) {
		t.stats.ICMPIgnored++
		return false
	}
	switch r.Kind {
	case ICMPPacketTooBig:
		return t.pathMTUShrank(now, r)
	case ICMPHard:
		if t.state == SynSent {
			t.terminate(r.Err, now)
			return true
		}
	}
	t.softErr = r.Err
	return true
}

// pathMTUShrank is PMTU discovery (RFC 1191 6.4-6.5, RFC 8201 4): segments
// shrink to fit the reported MTU, never below the family's minimum nor
// ever grown by a report, and what was sent too big is sent again at once,
// without waiting for the retransmission timer, since the loss says
// nothing of congestion (RFC 1191 6.5: "This retransmission should not
// change the congestion window").
func (t *TCB) pathMTUShrank(now time.Time, r ICMPReport) bool {
	mss := max(r.MTU, r.MinMTU) - r.IPHeaderLen - wire.TCPMinHeaderLen
	if mss >= t.opts.segmentLimit() {
		t.stats.ICMPIgnored++
		return false // no smaller than what we send already
	}
	t.opts.pathMSS = mss
	before := t.opts.sendMSS
	t.opts.updateSendMSS()
	if t.opts.sendMSS == before {
		return true
	}
	t.snd.mssChanged(t)
	t.stats.PathMTUReductions++
	if t.state.Synchronized() && t.sndUna != t.sndMax {
		t.snd.resendFromUna(t)
	}
	return true
}

// timeoutErr is the error a connection that timed out reports: the last soft
// ICMP error if one came, since "host unreachable" tells the application
// more than "timed out" (RFC 1122 4.2.3.9: the information "should be
// made available to the application"), as Linux reports sk_err_soft.
func (t *TCB) timeoutErr() error {
	if t.softErr != nil {
		return t.softErr
	}
	return ErrTimedOut
}

// ICMP errors the application may see, the errnos a socket would give.
var (
	ErrHostUnreachable    error = syscall.EHOSTUNREACH
	ErrNetUnreachable     error = syscall.ENETUNREACH
	ErrProtocolNotPresent error = syscall.ENOPROTOOPT
)
