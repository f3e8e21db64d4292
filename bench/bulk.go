package bench

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// pattern is what the bulk workload sends, over and over: random bytes of a
// length (1 MiB + 7) that no segment size divides, so a byte delivered at
// the wrong offset, twice or not at all shows up in the comparison.
var pattern = func() []byte {
	p := make([]byte, 1<<20+7)
	rand.NewChaCha8([32]byte{8}).Read(p)
	return p
}()

// TraceLimit is the trace the long benchmarks (bulk, connection rate,
// scale) keep: the last this many packet records and state changes
// (harness.Config.TraceLimit), as a long run that checks no trace asks
// for; the anchors keep none. Keeping all of a 256 MiB transfer's (190,000
// records of 360 bytes at MTU 1500) cost the harness a tenth of its time
// in first writes to fresh memory; the connection rate's 10,000
// connections' 80,000 state changes, a tenth of its in growing the slice
// that held them; the scale workload's records would dwarf the stacks'
// memory.
const TraceLimit = 1 << 12

// benchPort is where the server listens.
const benchPort = 80

// Connect opens one connection from n's client to its server and returns
// both ends.
func Connect(n *harness.Net) (c, s harness.Conn, err error) {
	c, s, _, err = n.Connect(benchPort, time.Minute)
	return c, s, err
}

// Bulk moves size bytes from c to s over n as fast as the two stacks and the
// wire allow, checks that every byte arrived once and in order, and returns
// the real and CPU time it took. Writes go in 256 KiB pieces, reads in
// 256 KiB.
func Bulk(n *harness.Net, c, s harness.Conn, size int) (Cost, error) {
	buf := make([]byte, 256<<10)
	sent, got := 0, 0
	var bad error
	m := startMeter()
	err := n.RunUntil("bulk transfer", time.Hour, func() bool {
		for sent < size {
			at := sent % len(pattern)
			k, err := c.Write(pattern[at:min(len(pattern), at+size-sent, at+256<<10)])
			sent += k
			if err != nil || k == 0 {
				break
			}
		}
		for bad == nil {
			k, err := s.Read(buf)
			if k > 0 {
				bad = checkPattern(buf[:k], got)
				got += k
			}
			if err != nil || k == 0 {
				if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
					bad = fmt.Errorf("server Read after %d bytes: %w", got, err)
				}
				break
			}
		}
		return got >= size || bad != nil
	})
	took := m.Stop()
	if bad != nil {
		return took, bad
	}
	if err != nil {
		return took, fmt.Errorf("%w (read %d of %d bytes)", err, got, size)
	}
	if got != size {
		return took, fmt.Errorf("read %d bytes, %d sent", got, size)
	}
	return took, nil
}

// checkPattern reports whether p is what the pattern holds at stream offset
// off.
func checkPattern(p []byte, off int) error {
	for done := 0; done < len(p); {
		at := (off + done) % len(pattern)
		k := min(len(p)-done, len(pattern)-at)
		if !bytes.Equal(p[done:done+k], pattern[at:at+k]) {
			return fmt.Errorf("bytes %d..%d differ from what was sent", off+done, off+done+k)
		}
		done += k
	}
	return nil
}
