// Package ipfrag puts IPv4 and IPv6 datagrams back together from their
// fragments (RFC 791 3.2, "Fragmentation and Reassembly"; RFC 1122 3.3.2: a
// host MUST reassemble; RFC 8200 4.5 for IPv6). It is sans-I/O like the connection core: fragments go in
// with the time they arrived, whole datagrams come out.
//
// Rules, in the order Add applies them:
//   - fragments belong together when source, destination, protocol and
//     identification agree (RFC 791 3.2; for IPv6 source, destination and
//     the 32-bit identification, RFC 8200 4.5);
//   - a datagram not complete within Limits.Timeout is dropped (RFC 1122
//     3.3.2 recommends a fixed 60 to 120 s; the fragments' TTL plays no
//     part);
//   - an identical duplicate of a fragment already held is ignored; a
//     fragment overlapping another in any other way poisons its datagram:
//     everything held of it and every later fragment of it is dropped until
//     the timeout (RFC 5722 for IPv6, taken for IPv4 too, as Linux and
//     gVisor do: overlaps are how fragment attacks rewrite a header);
//   - a datagram whose end would lie past 65535 bytes is dropped;
//   - past Limits.MaxBytes held or Limits.MaxDatagrams in progress, the
//     oldest datagram in progress is dropped to make room.
//
// The whole IPv4 datagram carries the first fragment's header (its options
// too), the total length of the whole, MF and the offset cleared, and a new
// header checksum; the whole IPv6 one, the first fragment's unfragmentable
// part, without the Fragment header.
package ipfrag

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Limits bound what a Reassembler holds.
type Limits struct {
	// MaxBytes is the most fragment data held at once.
	MaxBytes int
	// MaxDatagrams is the most datagrams in progress at once.
	MaxDatagrams int
	// Timeout is how long a datagram may take to complete from its first
	// fragment.
	Timeout time.Duration
}

// DefaultLimits: 1 MiB, 64 datagrams, 60 s (RFC 1122 3.3.2's lower bound).
var DefaultLimits = Limits{MaxBytes: 1 << 20, MaxDatagrams: 64, Timeout: 60 * time.Second}

// Stats count what a Reassembler did.
type Stats struct {
	Fragments   uint64 // fragments handed to Add
	Reassembled uint64 // whole datagrams returned
	Duplicates  uint64 // identical copies of a fragment already held, ignored
	Overlaps    uint64 // datagrams poisoned by an overlapping fragment
	TimedOut    uint64 // datagrams dropped incomplete at the timeout
	Evicted     uint64 // datagrams dropped to stay within the limits
	TooLong     uint64 // datagrams dropped for ending past 65535 bytes
	Dropped     uint64 // fragments dropped: of a poisoned datagram, or malformed
	// IncompleteChain counts IPv6 first fragments dropped for not holding
	// the whole header chain (RFC 7112 5).
	IncompleteChain uint64
}

// Reassembler holds the datagrams in progress. The zero value is not
// ready: use New.
type Reassembler struct {
	lim     Limits
	pending map[key]*datagram
	held    int
	stats   Stats
}

type key struct {
	src, dst netip.Addr
	proto    uint8  // IPv4's protocol; for IPv6 what the Fragment header names
	id       uint32 // IPv4's 16 bits, IPv6's 32
	v6       bool
}

type piece struct {
	off  int
	data []byte
}

func (p piece) end() int { return p.off + len(p.data) }

type datagram struct {
	started  time.Time
	header   []byte // the first fragment's header, once it came
	pieces   []piece
	total    int // the whole payload's length, once the last fragment came; -1 before
	bytes    int
	poisoned bool
}

// New returns a Reassembler within lim.
func New(lim Limits) *Reassembler {
	return &Reassembler{lim: lim, pending: map[key]*datagram{}}
}

// Stats returns the counters.
func (r *Reassembler) Stats() Stats { return r.stats }

// Held is the fragment data held now, in bytes.
func (r *Reassembler) Held() int { return r.held }

// Add takes one fragment arriving at now: a whole IPv4 packet, its header
// valid and its checksum checked, with MF set or a fragment offset. It
// returns the whole datagram once the fragment fills its last hole, else
// nil. pkt is not kept: Add copies what it holds.
func (r *Reassembler) Add(pkt wire.IPv4, now time.Time) []byte {
	r.stats.Fragments++
	r.expire(now)
	hl, tl := pkt.HeaderLen(), int(pkt.TotalLength())
	if hl < wire.IPv4MinHeaderLen || tl < hl || tl > len(pkt) {
		r.stats.Dropped++
		return nil
	}
	f := fragment{
		key:  key{src: pkt.Src(), dst: pkt.Dst(), proto: pkt.Protocol(), id: uint32(pkt.ID())},
		off:  int(pkt.FragOffset()) * 8,
		more: pkt.Flags()&wire.IPv4MoreFragments != 0,
		data: pkt[hl:tl], header: pkt[:hl],
		maxEnd: 65535 - hl,
	}
	d := r.add(f, now)
	if d == nil {
		return nil
	}
	b := d.assemble()
	h := wire.IPv4(b)
	h.SetTotalLength(uint16(len(b)))
	h.SetFlagsFragOffset(h.Flags()&^wire.IPv4MoreFragments, 0)
	h.SetChecksum(0)
	h.SetChecksum(wire.IPv4HeaderChecksum(b[:len(d.header)]))
	return b
}

// Add6 takes one IPv6 fragment arriving at now: a whole IPv6 packet whose
// Fragment header (RFC 8200 4.5) starts at fragHdr, after the
// unfragmentable part (the fixed header and the extension headers before
// it, already walked). It returns the whole datagram once the fragment
// fills its last hole, else nil: the first fragment's unfragmentable part,
// its last Next Header now naming what the Fragment header named, and the
// payload. Fragments belong together by source, destination and the
// 32-bit identification (RFC 8200 4.5).
func (r *Reassembler) Add6(pkt []byte, fragHdr int, now time.Time) []byte {
	r.stats.Fragments++
	r.expire(now)
	ip, err := wire.NewIPv6(pkt)
	end := wire.IPv6HeaderLen + int(ip.PayloadLength())
	if err != nil || fragHdr < wire.IPv6HeaderLen || fragHdr+fragmentHeaderLen > end || end > len(pkt) {
		r.stats.Dropped++
		return nil
	}
	offM := binary.BigEndian.Uint16(pkt[fragHdr+2:])
	data := pkt[fragHdr+fragmentHeaderLen : end]
	if offM>>3 == 0 && !wholeUpperHeader(pkt[fragHdr], data) {
		// RFC 7112 5: a first fragment that does not hold the whole header
		// chain, the upper-layer header included, "SHOULD" be discarded:
		// a firewall could not judge it, and an attacker splits headers
		// to slip past one.
		r.stats.IncompleteChain++
		return nil
	}
	f := fragment{
		key:  key{src: ip.Src(), dst: ip.Dst(), proto: pkt[fragHdr], id: binary.BigEndian.Uint32(pkt[fragHdr+4:]), v6: true},
		off:  int(offM>>3) * 8,
		more: offM&1 != 0,
		data: data, header: pkt[:fragHdr],
		maxEnd: 65535 - (fragHdr - wire.IPv6HeaderLen),
	}
	d := r.add(f, now)
	if d == nil {
		return nil
	}
	b := d.assemble()
	b[lastNextHeader(b[:len(d.header)])] = f.key.proto
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)-wire.IPv6HeaderLen))
	return b
}

// wholeUpperHeader reports whether data, a first fragment's payload after
// its Fragment header, starts with the whole header of the upper layer
// proto: TCP's with its options (data offset), or the fixed part of UDP's
// and ICMPv6's (RFC 7112 2: the Upper-Layer Header is part of the chain).
// Other protocols, or extension headers after the Fragment header, are
// judged by whoever takes the whole datagram.
func wholeUpperHeader(proto uint8, data []byte) bool {
	switch proto {
	case wire.ProtocolTCP:
		return len(data) >= wire.TCPMinHeaderLen && len(data) >= int(data[12]>>4)*4
	case udpProtocol:
		return len(data) >= 8
	case wire.ProtocolICMPv6:
		return len(data) >= 4
	}
	return true
}

// udpProtocol is UDP's Next Header value.
const udpProtocol = 17

// fragmentHeaderLen is the IPv6 Fragment header's length (RFC 8200 4.5).
const fragmentHeaderLen = 8

// lastNextHeader is the offset of the Next Header field that names what
// follows the unfragmentable part u: the fixed header's, or the last
// extension header's (each 8 bytes times one more than its length byte).
func lastNextHeader(u []byte) int {
	at := 6 // the fixed header's Next Header
	for off := wire.IPv6HeaderLen; off+2 <= len(u); off += (int(u[off+1]) + 1) * 8 {
		at = off
	}
	return at
}

// fragment is one fragment of either family, as add takes it: what it
// belongs to, where its data goes, whether more follow, the header a
// first fragment carries, and how far the whole may reach.
type fragment struct {
	key    key
	off    int
	more   bool
	data   []byte
	header []byte
	maxEnd int
}

// add files f; it returns the datagram f completed (already forgotten),
// or nil.
func (r *Reassembler) add(f fragment, now time.Time) *datagram {
	// RFC 791, RFC 8200 4.5: every fragment but the last carries a
	// multiple of 8 bytes.
	if f.more && len(f.data)%8 != 0 || !f.more && len(f.data) == 0 && f.off == 0 {
		r.stats.Dropped++
		return nil
	}
	k := f.key
	d := r.pending[k]
	if d == nil {
		r.makeRoom(len(f.data))
		d = &datagram{started: now, total: -1}
		r.pending[k] = d
	}
	if d.poisoned {
		r.stats.Dropped++
		return nil
	}
	end := f.off + len(f.data)
	if end > f.maxEnd {
		r.stats.TooLong++
		r.drop(k, d)
		return nil
	}
	for _, p := range d.pieces {
		if p.off == f.off && slices.Equal(p.data, f.data) {
			r.stats.Duplicates++
			return nil
		}
		if f.off < p.end() && p.off < end {
			r.stats.Overlaps++
			r.poison(d)
			return nil
		}
	}
	if !f.more {
		if d.total >= 0 && d.total != end {
			r.stats.Overlaps++ // two different ends: as bad as an overlap
			r.poison(d)
			return nil
		}
		d.total = end
	}
	if d.total >= 0 && end > d.total {
		r.stats.Overlaps++
		r.poison(d)
		return nil
	}
	if f.off == 0 {
		d.header = slices.Clone(f.header)
	}
	d.pieces = append(d.pieces, piece{off: f.off, data: slices.Clone(f.data)})
	d.bytes += len(f.data)
	r.held += len(f.data)
	if d.header == nil || d.total < 0 || d.bytes != d.total {
		return nil
	}
	// No overlaps and as many bytes as the whole: every hole is filled.
	r.drop(k, d)
	r.stats.Reassembled++
	return d
}

// assemble lays the pieces out behind the first fragment's header.
func (d *datagram) assemble() []byte {
	hl := len(d.header)
	b := make([]byte, hl+d.total)
	copy(b, d.header)
	for _, p := range d.pieces {
		copy(b[hl+p.off:], p.data)
	}
	return b
}

// expire drops the datagrams whose time is up; a poisoned one is forgotten
// then too.
func (r *Reassembler) expire(now time.Time) {
	for k, d := range r.pending {
		if now.Sub(d.started) >= r.lim.Timeout {
			if !d.poisoned {
				r.stats.TimedOut++
			}
			r.drop(k, d)
		}
	}
}

// makeRoom drops the oldest datagrams in progress until a new one with n
// bytes fits the limits.
func (r *Reassembler) makeRoom(n int) {
	for len(r.pending) > 0 && (len(r.pending) >= r.lim.MaxDatagrams || r.held+n > r.lim.MaxBytes) {
		var oldest key
		var at time.Time
		first := true
		for k, d := range r.pending {
			if first || d.started.Before(at) {
				oldest, at, first = k, d.started, false
			}
		}
		r.stats.Evicted++
		r.drop(oldest, r.pending[oldest])
	}
}

// poison drops what d holds but remembers its key until the timeout.
func (r *Reassembler) poison(d *datagram) {
	r.held -= d.bytes
	d.pieces, d.bytes, d.header, d.poisoned = nil, 0, nil, true
}

func (r *Reassembler) drop(k key, d *datagram) {
	r.held -= d.bytes
	delete(r.pending, k)
}
