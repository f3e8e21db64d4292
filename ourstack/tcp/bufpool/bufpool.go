// Package bufpool keeps the memory of drained buffers for the next one to
// fill, by power-of-two size, as gVisor's pkg/buffer pools its chunks.
//
// ourstack's send and receive rings give their memory back when they
// drain, so that an idle connection holds none. A connection that fills
// them again at once (a bulk receiver drains its ring on every read) then
// takes a block from here instead of allocating and zeroing a new one. A
// sync.Pool holds the blocks, so the garbage collector frees those that
// nobody takes.
package bufpool

import (
	"math/bits"
	"sync"
)

// The sizes pooled: 512 B to 4 MiB, each a power of two.
const (
	minShift = 9
	maxShift = 22
)

var pools [maxShift - minShift + 1]sync.Pool

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
	c := class(n)
	if c >= 0 {
		if b, ok := pools[c].Get().(*[]byte); ok {
			return b
		}
	}
	b := make([]byte, n)
	return &b
}

// Put gives back a block from Get that its owner no longer reads or
// writes, nor any view of it. Nil, or a size not pooled, is dropped.
func Put(b *[]byte) {
	if b == nil {
		return
	}
	if c := class(len(*b)); c >= 0 {
		pools[c].Put(b)
	}
}
