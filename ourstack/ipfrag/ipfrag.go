// Package ipfrag puts IPv4 datagrams back together from their fragments
// (RFC 791 3.2, "Fragmentation and Reassembly"; RFC 1122 3.3.2: a host MUST
// reassemble). It is sans-I/O like the connection core: fragments go in
// with the time they arrived, whole datagrams come out.
//
// Rules, in the order Add applies them:
//   - fragments belong together when source, destination, protocol and
//     identification agree (RFC 791 3.2);
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
// The whole datagram carries the first fragment's header (its options
// too), the total length of the whole, MF and the offset cleared, and a new
// header checksum.
package ipfrag

import (
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
	proto    uint8
	id       uint16
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
	more := pkt.Flags()&wire.IPv4MoreFragments != 0
	off, data := int(pkt.FragOffset())*8, pkt[hl:tl]
	// RFC 791: every fragment but the last carries a multiple of 8 bytes.
	if more && len(data)%8 != 0 || !more && len(data) == 0 && off == 0 {
		r.stats.Dropped++
		return nil
	}
	k := key{pkt.Src(), pkt.Dst(), pkt.Protocol(), pkt.ID()}
	d := r.pending[k]
	if d == nil {
		r.makeRoom(len(data))
		d = &datagram{started: now, total: -1}
		r.pending[k] = d
	}
	if d.poisoned {
		r.stats.Dropped++
		return nil
	}
	end := off + len(data)
	if end > 65535-hl {
		r.stats.TooLong++
		r.drop(k, d)
		return nil
	}
	for _, p := range d.pieces {
		if p.off == off && slices.Equal(p.data, data) {
			r.stats.Duplicates++
			return nil
		}
		if off < p.end() && p.off < end {
			r.stats.Overlaps++
			r.poison(d)
			return nil
		}
	}
	if !more {
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
	if off == 0 {
		d.header = slices.Clone(pkt[:hl])
	}
	d.pieces = append(d.pieces, piece{off: off, data: slices.Clone(data)})
	d.bytes += len(data)
	r.held += len(data)
	if d.header == nil || d.total < 0 || d.bytes != d.total {
		return nil
	}
	// No overlaps and as many bytes as the whole: every hole is filled.
	whole := r.build(d)
	r.drop(k, d)
	r.stats.Reassembled++
	return whole
}

// build lays the pieces out behind the first fragment's header.
func (r *Reassembler) build(d *datagram) []byte {
	hl := len(d.header)
	b := make([]byte, hl+d.total)
	copy(b, d.header)
	for _, p := range d.pieces {
		copy(b[hl+p.off:], p.data)
	}
	h := wire.IPv4(b)
	h.SetTotalLength(uint16(len(b)))
	h.SetFlagsFragOffset(h.Flags()&^wire.IPv4MoreFragments, 0)
	h.SetChecksum(0)
	h.SetChecksum(wire.IPv4HeaderChecksum(b[:hl]))
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
