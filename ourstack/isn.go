package ourstack

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// isnTick is the period of RFC 6528's timer M: "a timer that is incremented
// every 4 microseconds".
const isnTick = 4 * time.Microsecond

// isnGenerator chooses initial sequence numbers as RFC 6528 section 3 says:
//
//	ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
//
// M keeps successive incarnations of one four-tuple moving forward through the
// sequence space (so old duplicates fall behind, RFC 9293 3.4.1); F offsets
// every four-tuple by an amount an off-path attacker cannot guess, so knowing
// the ISN of one connection tells nothing about another's.
type isnGenerator struct {
	key sipKey // RFC 6528's secretkey, drawn from Options.Rand at New
}

// isn returns the ISN for a connection named id opened at now.
func (g *isnGenerator) isn(id tcp.FourTuple, now time.Time) seqnum.Value {
	m := uint32(now.UnixNano() / int64(isnTick))
	return seqnum.Value(m + g.offset(id))
}

// offset is F: SipHash-2-4 of the four-tuple under the secret key (RFC 6528
// section 3 recommends a cryptographic hash; SipHash is a keyed PRF, which is
// what the RFC's F must be).
func (g *isnGenerator) offset(id tcp.FourTuple) uint32 {
	var h sipHasher
	writeTuple(&h, id)
	return uint32(h.sum(&g.key))
}

// writeTuple feeds a four-tuple into a hash in a fixed order.
func writeTuple(h *sipHasher, id tcp.FourTuple) {
	la, ra := id.LocalAddr.As16(), id.RemoteAddr.As16()
	h.write(la[:])
	h.writeUint16(id.LocalPort)
	h.write(ra[:])
	h.writeUint16(id.RemotePort)
}

// tsOffset is the offset our timestamp clock gets on the connection named
// id (RFC 7323 5.4: "a random offset ... on a per-connection basis"; 7.1
// recommends one per four-tuple, as Linux's secure_tcp_ts_off does). Keyed
// by the four-tuple alone, it is the same for every incarnation of one
// four-tuple, so TSval keeps increasing from one incarnation to the next
// and a SYN that reopens a TIME-WAIT connection passes RFC 6191's timestamp
// test; a random offset per connection fails it half the time. The hash
// shares the ISN's key but not its input (a leading domain byte), so the
// two reveal nothing of each other.
func (g *isnGenerator) tsOffset(id tcp.FourTuple) uint32 {
	var h sipHasher
	h.writeUint8(tsOffsetDomain)
	writeTuple(&h, id)
	return uint32(h.sum(&g.key))
}

// tsOffsetDomain separates tsOffset's inputs from offset's.
const tsOffsetDomain = 0x75
