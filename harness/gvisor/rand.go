package gvisor

import (
	"math/rand/v2"
	"sync"
)

// v1Source adapts a harness random stream to math/rand's Source (gVisor's RandSource),
// which must be safe for concurrent use.
type v1Source struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (s *v1Source) Int63() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(s.r.Uint64() >> 1)
}

// Seed is part of math/rand's Source; a stream is fixed by the Net's seed.
func (s *v1Source) Seed(int64) {}
