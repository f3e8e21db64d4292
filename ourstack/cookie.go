package ourstack

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// SYN cookies (RFC 4987 section 3.6). When a listener's SYN queue is full it
// keeps no state for a new SYN: it encodes what it must remember into the ISN
// of its SYN-ACK, and rebuilds the connection from the ACK that returns it.
// The 32 bits of the cookie are laid out as Bernstein's original:
//
//	 31     27 26  24 23                          0
//	+---------+------+-----------------------------+
//	| t mod 32| mss  |  hash(key, tuple, t, irs, mss)  (24 bits)
//	+---------+------+-----------------------------+
//
// t is a counter of cookieSlot periods, so a cookie expires; mss indexes
// cookieMSSTable, the only one of the SYN's options a cookie keeps; the keyed
// hash binds all of it to the four-tuple and the client's ISN, so a cookie
// cannot be forged, replayed onto another tuple, or edited.
const (
	// cookieSlot is the period of the cookie's time counter.
	cookieSlot = 64 * time.Second
	// cookieMaxAge is how many slots old a returning cookie may be: a
	// cookie minted in slot t is accepted in slots t, t+1 and t+2, so it
	// lives between 128 and 192 seconds, longer than a SYN-ACK's
	// retransmissions last.
	cookieMaxAge = 2

	cookieCounterBits = 5
	cookieMSSBits     = 3
	cookieHashBits    = 32 - cookieCounterBits - cookieMSSBits
	cookieHashMask    = 1<<cookieHashBits - 1
	cookieMSSMask     = 1<<cookieMSSBits - 1
	cookieCounterMask = 1<<cookieCounterBits - 1
)

// cookieMSSTable are the MSS values a cookie can carry, ascending. The SYN's
// MSS is rounded down to the nearest entry. 536 is RFC 9293's default send
// MSS (3.7.1); 1220 is the IPv6 minimum MTU's; 1460 Ethernet's; the others
// are common tunnel and jumbo-frame values.
var cookieMSSTable = [1 << cookieMSSBits]uint16{536, 1220, 1300, 1380, 1440, 1452, 1460, 8960}

// cookieMSSIndex is the largest table entry not above mss.
func cookieMSSIndex(mss uint16) uint8 {
	idx := uint8(0)
	for i, v := range cookieMSSTable {
		if v <= mss {
			idx = uint8(i)
		}
	}
	return idx
}

// cookieJar mints and checks SYN cookies under one secret key.
type cookieJar struct {
	key sipKey // drawn from Options.Rand at New
}

// counter is the slot number of now.
func (j *cookieJar) counter(now time.Time) uint64 {
	return uint64(now.UnixNano() / int64(cookieSlot))
}

func (j *cookieJar) hash(id tcp.FourTuple, counter uint64, irs seqnum.Value, mssIdx uint8) uint32 {
	var h sipHasher
	writeTuple(&h, id)
	h.writeUint64(counter)
	h.writeUint32(uint32(irs))
	h.writeUint8(mssIdx)
	return uint32(h.sum(&j.key)) & cookieHashMask
}

// make returns the cookie to use as the ISN of a SYN-ACK answering a SYN
// on id whose sequence number (the client's ISN) is irs and whose MSS
// option asked for mss (536 if it had none, RFC 9293 3.7.1).
func (j *cookieJar) make(id tcp.FourTuple, irs seqnum.Value, mss uint16, now time.Time) seqnum.Value {
	c := j.counter(now)
	idx := cookieMSSIndex(mss)
	v := uint32(c&cookieCounterMask)<<(cookieMSSBits+cookieHashBits) |
		uint32(idx)<<cookieHashBits |
		j.hash(id, c, irs, idx)
	return seqnum.Value(v)
}

// check decodes the cookie an ACK returns (cookie = SEG.ACK-1, irs =
// SEG.SEQ-1) and reports the MSS it encoded; ok is false for a cookie that
// was forged, altered, minted for another tuple or client ISN, or has expired.
func (j *cookieJar) check(id tcp.FourTuple, cookie, irs seqnum.Value, now time.Time) (mss uint16, ok bool) {
	v := uint32(cookie)
	low := uint64(v >> (cookieMSSBits + cookieHashBits))
	idx := uint8(v>>cookieHashBits) & cookieMSSMask
	now64 := j.counter(now)
	// The full counter is the latest slot at or before now whose low bits
	// match; it is valid only if no more than cookieMaxAge slots old.
	age := (now64 - low) & cookieCounterMask
	if age > cookieMaxAge || age > now64 {
		return 0, false
	}
	if j.hash(id, now64-age, irs, idx) != v&cookieHashMask {
		return 0, false
	}
	return cookieMSSTable[idx], true
}
