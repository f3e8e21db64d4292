// Package sendbuf is a connection's send buffer: the bytes the application
// has written and the peer has not yet acknowledged, held in a ring and
// addressed by sequence number.
//
// RFC 9293 section 3.3.1 divides the send sequence space into bytes
// acknowledged (before SND.UNA), bytes sent but unacknowledged
// (SND.UNA..SND.NXT), bytes that may be sent (up to SND.UNA+SND.WND) and bytes
// that may not yet be sent. The Buffer holds the second, third and fourth
// parts: its Base is SND.UNA's first data byte and Len counts everything
// after it. The TCB keeps SND.NXT itself; SYN and FIN occupy sequence space
// but never sit in the buffer, so the TCB calls SetBase after them.
//
// Segments never need a copy: once the held bytes have wrapped around the
// ring's end, the ring is followed by a mirror of its first MaxSlice bytes,
// kept up to date on every Write, so any run of up to MaxSlice bytes is
// contiguous in memory however it falls across the ring's end. Until then
// the bytes lie in one piece and need no mirror. Slice returns a run as a
// view; Peek returns the same bytes as at most two pieces without using the
// mirror. Neither allocates.
//
// The memory follows the bytes held: the ring is taken by the first Write,
// sized to what it holds, and given back (to bufpool) when an Ack drains
// it, so an idle connection (10,000 of them in the scale benchmark) holds
// no ring.
package sendbuf

import (
	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp/bufpool"
)

// MaxSlice is the longest run Slice guarantees to return in one piece. It is
// the largest TCP payload an IPv4 packet can carry, so any segment fits.
const MaxSlice = 1 << 16

// Buffer is a ring of bytes whose first byte has sequence number Base.
// The zero value holds nothing; call New.
type Buffer struct {
	// buf is the ring (buf[:size]) followed by a mirror of buf[:mirror];
	// mirror is 0 while the held bytes have never wrapped, and buf is nil
	// while the Buffer holds nothing. block is the memory buf lies in.
	buf      []byte
	block    *[]byte
	size     int // power of two >= capacity, so the ring index is a mask
	mask     int
	mirror   int
	capacity int

	head int // ring index of the byte at base
	n    int // bytes held
	base seqnum.Value
}

// minRing is the smallest ring Write allocates (or the capacity, if
// smaller): a connection that writes a few bytes at a time should not
// reallocate for each. Beyond it the ring is the held bytes rounded up to
// a power of two, and doubles as they need it, up to the capacity.
const minRing = 512

// New returns an empty Buffer that holds up to capacity bytes. It allocates
// no ring: the first Write does.
func New(capacity int) *Buffer {
	return &Buffer{capacity: max(capacity, 0)}
}

// ringSize is the smallest power of two that holds n bytes.
func ringSize(n int) int {
	size := 1
	for size < n {
		size <<= 1
	}
	return size
}

// resize moves the held bytes into a ring of size bytes (a power of two, at
// least Len), starting at index 0, followed by a mirror if mirrored. The
// old ring goes back to the pool, so views handed out before are invalid,
// which is why only Write calls it. Only the bytes held are ever read: a
// block from the pool need not be zeroed.
func (b *Buffer) resize(size int, mirrored bool) {
	mirror := 0
	if mirrored {
		mirror = min(size, MaxSlice)
	}
	block := bufpool.Get(size + mirror)
	buf := *block
	if b.n > 0 {
		first, second := b.Peek(b.base, b.n)
		copy(buf[copy(buf, first):], second)
	}
	copy(buf[size:], buf[:mirror])
	bufpool.Put(b.block)
	b.buf, b.block, b.size, b.mask, b.mirror, b.head = buf, block, size, size-1, mirror, 0
}

// release gives the ring back; the next Write takes a new one.
func (b *Buffer) release() {
	bufpool.Put(b.block)
	b.buf, b.block, b.size, b.mask, b.mirror, b.head = nil, nil, 0, 0, 0, 0
}

// Cap is the capacity given to New, or to Grow since.
func (b *Buffer) Cap() int { return b.capacity }

// Grow raises the capacity to capacity bytes; a smaller one changes
// nothing. No byte moves: the ring grows as Write needs it, as it does up
// to the capacity New was given, so an autotuned limit that creeps up by
// a few bytes an ACK costs nothing until the data written needs the room.
func (b *Buffer) Grow(capacity int) { b.capacity = max(b.capacity, capacity) }

// Footprint is the bytes of memory the ring and its mirror take: 0 while
// the Buffer holds nothing.
func (b *Buffer) Footprint() int { return len(b.buf) }

// Len is the number of bytes held: sent-but-unacknowledged plus not yet sent.
func (b *Buffer) Len() int { return b.n }

// Free is how many more bytes Write would take.
func (b *Buffer) Free() int { return b.capacity - b.n }

// Base is the sequence number of the first byte held (SND.UNA once the SYN
// is acknowledged).
func (b *Buffer) Base() seqnum.Value { return b.base }

// End is the sequence number just past the last byte held.
func (b *Buffer) End() seqnum.Value { return b.base.Add(seqnum.Size(b.n)) }

// SetBase renumbers the held bytes so that the first has sequence number
// seq. The TCB calls it once the ISS is chosen (Base = ISS+1, the SYN takes
// ISS) and may call it at any time; no bytes move.
func (b *Buffer) SetBase(seq seqnum.Value) { b.base = seq }

// Write appends as much of p as fits and returns how many bytes it took.
func (b *Buffer) Write(p []byte) int {
	if free := b.Free(); len(p) > free {
		p = p[:free]
	}
	if len(p) == 0 {
		return 0
	}
	switch need := b.n + len(p); {
	case need > b.size:
		// A mirrored ring stays mirrored as it grows: its bytes will wrap
		// again.
		b.resize(max(ringSize(need), min(minRing, ringSize(b.capacity))), b.mirror > 0)
	case b.mirror == 0 && b.head+need > b.size:
		// The bytes are about to wrap for the first time: from now on the
		// ring needs its mirror.
		b.resize(b.size, true)
	}
	at := (b.head + b.n) & b.mask
	for rest := p; len(rest) > 0; {
		chunk := min(len(rest), b.size-at)
		copy(b.buf[at:at+chunk], rest[:chunk])
		// Keep the mirror equal to the ring's first bytes.
		if at < b.mirror {
			m := min(chunk, b.mirror-at)
			copy(b.buf[b.size+at:b.size+at+m], rest[:m])
		}
		rest = rest[chunk:]
		at = (at + chunk) & b.mask
	}
	b.n += len(p)
	return len(p)
}

// Ack drops the first n bytes (the peer acknowledged them) and advances Base
// by n. n is clamped to [0, Len]: the TCB validates acknowledgments (RFC
// 9293 3.10.7.4) before it calls Ack, and a bad count must not corrupt the
// ring.
func (b *Buffer) Ack(n int) {
	n = max(0, min(n, b.n))
	b.head = (b.head + n) & b.mask
	b.n -= n
	b.base = b.base.Add(seqnum.Size(n))
	if b.n == 0 {
		b.release()
	}
}

// AckTo drops every byte before seq and returns how many it dropped. A seq
// before Base drops nothing; one past End drops everything.
func (b *Buffer) AckTo(seq seqnum.Value) int {
	if seq.LessThanEq(b.base) {
		return 0
	}
	n := int(b.base.Size(seq))
	if seq.GreaterThan(b.End()) {
		n = b.n
	}
	b.Ack(n)
	return n
}

// Slice returns a view of up to n bytes starting offset bytes after Base,
// contiguous in memory. It returns fewer than n bytes only when fewer are
// held after offset, or when n exceeds MaxSlice and the run crosses the
// ring's end. The view is valid until the next Write or Ack; the caller must
// not modify it.
func (b *Buffer) Slice(offset, n int) []byte {
	if offset < 0 || offset > b.n || n <= 0 {
		return nil
	}
	n = min(n, b.n-offset)
	at := (b.head + offset) & b.mask
	end := min(at+n, b.size+b.mirror)
	return b.buf[at:end:end]
}

// SliceSeq is Slice addressed by sequence number: up to n bytes from seq. A
// seq outside [Base, End] yields nil.
func (b *Buffer) SliceSeq(seq seqnum.Value, n int) []byte {
	off, ok := b.offset(seq)
	if !ok {
		return nil
	}
	return b.Slice(off, n)
}

// Peek returns up to n bytes starting at seq as at most two pieces (the
// second non-empty only when the run crosses the ring's end). A seq outside
// [Base, End] yields nothing. The pieces are valid until the next Write or
// Ack; the caller must not modify them.
func (b *Buffer) Peek(seq seqnum.Value, n int) (first, second []byte) {
	off, ok := b.offset(seq)
	if !ok || n <= 0 {
		return nil, nil
	}
	n = min(n, b.n-off)
	at := (b.head + off) & b.mask
	if at+n <= b.size {
		return b.buf[at : at+n : at+n], nil
	}
	k := b.size - at
	return b.buf[at:b.size:b.size], b.buf[0 : n-k : n-k]
}

// offset converts seq to a byte offset from Base, if seq is in [Base, End].
func (b *Buffer) offset(seq seqnum.Value) (int, bool) {
	if seq.LessThan(b.base) || seq.GreaterThan(b.End()) {
		return 0, false
	}
	return int(b.base.Size(seq)), true
}
