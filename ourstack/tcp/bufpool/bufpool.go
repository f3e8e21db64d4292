// Package bufpool keeps the memory of drained buffers for the next one to
// fill, by power-of-two size, as gVisor's pkg/buffer pools its chunks.
//
// ourstack's send and receive rings give their memory back when they
// drain, so that an idle connection holds none. A connection that fills
// them again at once (a bulk receiver drains its ring on every read) then
// takes a block from here instead of allocating and zeroing a new one.
//
// The pool keeps few blocks: about 256 KiB of each size, and one block of
// the sizes larger than that. That is plenty for the few connections that
// drain and refill all the time, and it keeps 10,000 connections that
// drain together from parking 10,000 rings here, where they would count
// as heap beyond the buffers in use (sync.Pool would keep them until the
// second garbage collection after).
package bufpool

import "math/bits"

// The sizes pooled: 512 B to 1 MiB, each a power of two.
const (
	minShift = 9
	maxShift = 20
)

// keepBytes is about how much memory the pool keeps of each size.
const keepBytes = 256 << 10

// free holds the blocks kept, a channel for each size: Get and Put take
// and give without waiting, and any goroutine may call them.
var free = func() (free [maxShift - minShift + 1]chan *[]byte) {
	for c := range free {
		free[c] = make(chan *[]byte, max(1, keepBytes>>(c+minShift)))
	}
	return free
}()

// class is the pool for blocks of n bytes, or -1 when n is not a pooled
// size.
func class(n int) int {
	if n < 1<<minShift || n > 1<<maxShift || n&(n-1) != 0 {
		return -1
	}
	return bits.Len(uint(n)) - 1 - minShift
}

// Get returns a block of n bytes. A block of a pooled size may come from
// the pool, holding whatever its last owner left in it: the caller must
// read only what it has written. Other sizes are allocated.
func Get(n int) *[]byte {
	if c := class(n); c >= 0 {
		select {
		case b := <-free[c]:
			return b
		default:
		}
	}
	b := make([]byte, n)
	return &b
}

// Put gives back a block from Get that its owner no longer reads or
// writes, nor any view of it. Nil, a size not pooled, or a block the pool
// has no room for is left to the garbage collector.
func Put(b *[]byte) {
	if b == nil {
		return
	}
	if c := class(len(*b)); c >= 0 {
		select {
		case free[c] <- b:
		default:
		}
	}
}
