package harness

import (
	"encoding/binary"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sync"
)

// One Net seed fixes every random choice of a run: each consumer (a peer's
// ISN key and ports, the fault rules) draws from its own stream, derived from
// the seed and the stream's name, so that a draw added in one place does not
// shift the numbers another place sees.

// streamPCG returns the PCG stream name of seed.
func streamPCG(seed uint64, name string) *rand.PCG {
	h := fnv.New64a()
	io.WriteString(h, name)
	return rand.NewPCG(seed, h.Sum64())
}

// StreamRand returns a *rand.Rand for the stream name of seed.
func StreamRand(seed uint64, name string) *rand.Rand { return rand.New(streamPCG(seed, name)) }

// StreamReader returns a byte stream (ChaCha8 keyed from the seed and name)
// for consumers that want an io.Reader, such as gVisor's SecureRNG and
// ourstack's Options.Rand. It is safe for concurrent use.
func StreamReader(seed uint64, name string) io.Reader {
	pcg := streamPCG(seed, name)
	var key [32]byte
	for i := 0; i < len(key); i += 8 {
		binary.LittleEndian.PutUint64(key[i:], pcg.Uint64())
	}
	return &lockedReader{r: rand.NewChaCha8(key)}
}

type lockedReader struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
