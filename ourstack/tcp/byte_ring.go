package tcp

import "github.com/tcpbed/tcpbed/ourstack/tcp/bufpool"

// byteRing is the receive buffer: a FIFO of bytes in a ring that grows on
// demand and goes back to bufpool when a Read empties it, so an idle or
// half-open connection holds no buffer memory, and one whose application
// keeps up holds only what has arrived and not been read. max is the size
// it is expected to reach; the window arithmetic keeps the data within it,
// and Write stores everything it is given regardless, because data the TCB
// has acknowledged must never be lost.
type byteRing struct {
	buf   []byte
	block *[]byte // the memory buf lies in, from bufpool
	head  int
	n     int
	max   int
}

// minRingSize is the smallest ring: a little over one full-sized Ethernet
// segment, so that a ring does not regrow for each of the first few
// segments. It doubles from there, as the bytes held need, up to max.
const minRingSize = 2 << 10

func (r *byteRing) Len() int { return r.n }

// Footprint is the bytes of memory the ring takes.
func (r *byteRing) Footprint() int { return len(r.buf) }

// Write appends all of p.
func (r *byteRing) Write(p []byte) int {
	if r.n+len(p) > len(r.buf) {
		r.grow(r.n + len(p))
	}
	at := (r.head + r.n) % len(r.buf)
	k := copy(r.buf[at:], p)
	copy(r.buf, p[k:])
	r.n += len(p)
	return len(p)
}

// Read moves up to len(p) bytes out.
func (r *byteRing) Read(p []byte) int {
	n := min(len(p), r.n)
	if n == 0 {
		return 0
	}
	k := copy(p[:n], r.buf[r.head:min(r.head+n, len(r.buf))])
	copy(p[k:n], r.buf)
	r.head = (r.head + n) % len(r.buf)
	r.n -= n
	if r.n == 0 {
		r.Release()
	}
	return n
}

// Reset drops everything held.
func (r *byteRing) Reset() { r.head, r.n = 0, 0 }

// Release drops the memory too.
func (r *byteRing) Release() {
	bufpool.Put(r.block)
	r.buf, r.block, r.head, r.n = nil, nil, 0, 0
}

func (r *byteRing) grow(need int) {
	size := max(len(r.buf)*2, minRingSize)
	if r.max > 0 && size > r.max && need <= r.max {
		size = r.max
	}
	for size < need {
		size *= 2
	}
	// Only the bytes held are ever read: a block from the pool need not be
	// zeroed.
	block := bufpool.Get(size)
	nb := *block
	if r.n > 0 {
		k := copy(nb, r.buf[r.head:min(r.head+r.n, len(r.buf))])
		copy(nb[k:r.n], r.buf)
	}
	bufpool.Put(r.block)
	r.buf, r.block, r.head = nb, block, 0
}
