package fuzz

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"syscall"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

// interopPatterns are the bytes each side writes: side s's stream byte i is
// interopPatterns[s][i]. They are pseudo-random, so that a byte delivered at
// the wrong offset, twice, or from the other direction shows as a mismatch.
var interopPatterns = func() (p [2][]byte) {
	for s := range p {
		r := rand.New(rand.NewPCG(0x7463706265640000, uint64(s)+1))
		p[s] = make([]byte, interopMaxWrite)
		for i := range p[s] {
			p[s][i] = byte(r.Uint32())
		}
	}
	return p
}()

// readEnd is how a side's reading ended, as the application saw it.
type readEnd int

const (
	endOpen     readEnd = iota // no terminal Read result (yet)
	endEOF                     // io.EOF: the peer's FIN
	endReset                   // ECONNRESET
	endAborted                 // ECONNABORTED (our own abort)
	endTimedOut                // ETIMEDOUT: retransmissions gave up
	endRefused                 // ECONNREFUSED: RST in answer to our SYN
	endOther                   // any other error
	endDropped                 // the application closed the socket before reading to the end
)

var readEndNames = [...]string{"open", "EOF", "reset", "aborted", "timed out", "refused", "error", "dropped by app"}

func (e readEnd) String() string { return readEndNames[e] }

func classifyReadErr(err error) readEnd {
	switch {
	case err == io.EOF:
		return endEOF
	case errors.Is(err, syscall.ECONNRESET):
		return endReset
	case errors.Is(err, syscall.ECONNABORTED):
		return endAborted
	case errors.Is(err, syscall.ETIMEDOUT):
		return endTimedOut
	case errors.Is(err, syscall.ECONNREFUSED):
		return endRefused
	}
	return endOther
}

// interopEnd is one side's application: a thread that blocks in Accept (the
// server) and in Write, as a program written with blocking sockets would.
// Its operations wait in a queue and run in order once they can; a Read
// takes whatever is there and never waits. This makes what each side writes
// the same whichever stack is underneath: only timing differs.
type interopEnd struct {
	side  harness.Side
	kind  string // "ours" or "gvisor"
	conn  harness.Conn
	ready bool // Dial (or Accept) has returned: the handshake is over
	queue []interopStep

	written     int  // bytes Write took
	writeClosed bool // CloseWrite, Close or Abort issued
	dropped     bool // Close or Abort issued: the application is done with the socket
	aborted     bool
	writeErr    error // the first error Write returned

	readN  int // bytes read, checked against the other side's pattern
	end    readEnd
	endErr error

	// violations found while running (prefix, EOF, after-reset checks).
	violations []string
}

func (e *interopEnd) violate(format string, args ...any) {
	e.violations = append(e.violations, fmt.Sprintf("%s (%s): ", e.side, e.kind)+fmt.Sprintf(format, args...))
}

// pump runs the queued operations that can run now.
func (e *interopEnd) pump(other *interopEnd) {
	if e.conn == nil {
		return
	}
	if !e.ready {
		// A blocking Dial returns once the handshake is over, either way.
		st := e.conn.State()
		if st == harness.SynSent || st == harness.SynReceived {
			return
		}
		e.ready = true
		if st == harness.Closed {
			// Dial failed (or the connection is already over): a blocking
			// Dial would return the error; Read tells it.
			e.read(other, 1)
		}
	}
	for len(e.queue) > 0 {
		s := &e.queue[0]
		if e.dropped {
			// The application dropped the socket; what it meant to do
			// after is moot.
			e.queue = e.queue[:0]
			return
		}
		switch s.op {
		case opWrite:
			if e.writeClosed {
				break
			}
			k, err := e.conn.Write(interopPatterns[e.side][e.written : e.written+s.n])
			e.written += k
			s.n -= k
			if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
				if e.writeErr == nil {
					e.writeErr = err
				}
				break // the write failed: the application moves on
			}
			if s.n > 0 {
				return // blocked
			}
		case opRead:
			e.read(other, s.n)
		case opCloseWrite:
			if !e.writeClosed {
				e.writeClosed = true
				if err := e.conn.CloseWrite(); err != nil && e.writeErr == nil {
					e.writeErr = err
				}
			}
		case opClose:
			e.writeClosed, e.dropped = true, true
			e.conn.Close()
			if e.end == endOpen {
				e.end = endDropped
			}
		case opAbort:
			e.writeClosed, e.dropped, e.aborted = true, true, true
			e.conn.Abort()
			if e.end == endOpen {
				e.end = endDropped
			}
		}
		e.queue = e.queue[1:]
	}
}

// readBufs are read's buffers: what a read returns is checked at once
// and kept nowhere, so one buffer serves every read of a worker. A buffer
// for each end of each run was a fifth of the bytes an interop program
// allocated.
var readBufs = sync.Pool{New: func() any { return new([readBufSize]byte) }}

const readBufSize = 16 << 10

// read reads up to limit bytes (all there is if limit < 0) and checks them
// against what the other side wrote.
func (e *interopEnd) read(other *interopEnd, limit int) {
	if e.conn == nil || e.dropped {
		return
	}
	held := readBufs.Get().(*[readBufSize]byte)
	defer readBufs.Put(held)
	for limit != 0 {
		buf := held[:]
		if limit > 0 && limit < len(buf) {
			buf = buf[:limit]
		}
		k, err := e.conn.Read(buf)
		if k > 0 {
			e.check(other, buf[:k])
			if limit > 0 {
				limit -= k
			}
		}
		if err != nil {
			if errors.Is(err, harness.ErrWouldBlock) {
				return
			}
			e.ended(other, err)
			return
		}
		if k == 0 {
			return
		}
	}
}

// check: what was read must continue what was read before as a prefix of
// what the other side wrote, and nothing may come after the end.
func (e *interopEnd) check(other *interopEnd, got []byte) {
	if e.end != endOpen {
		e.violate("read %d bytes after Read had returned %v (%v)", len(got), e.end, e.endErr)
	}
	if bad := judge.ReadContinues(interopPatterns[other.side], other.written, e.readN, got, other.side.String()); bad != "" {
		e.violate("%s", bad)
	}
	e.readN += len(got)
}

// ended notes the terminal Read result err. An EOF is the peer's FIN: the
// peer must have half-closed, and every byte it wrote must have been read.
func (e *interopEnd) ended(other *interopEnd, err error) {
	kind := classifyReadErr(err)
	if e.end != endOpen {
		// The first terminal result is the one that counts: after EOF a
		// later reset may be reported, and gVisor (as Linux) reports a
		// reset once, then EOF. Data after either is check's business.
		return
	}
	if kind == endEOF && e.writeErr != nil {
		if k := classifyReadErr(e.writeErr); k != endOther && k != endEOF {
			// gVisor, as Linux, reports a connection's error once, to
			// whichever call comes first; Read then says EOF. The
			// application saw the reset on Write.
			kind, err = k, e.writeErr
		}
	}
	e.end, e.endErr = kind, err
	if kind != endEOF {
		return
	}
	if bad := judge.EOFAfterAll(e.readN, other.written, other.writeClosed, other.side.String()); bad != "" {
		e.violate("%s", bad)
	}
}

// done reports whether the side has nothing more to learn from its socket.
func (e *interopEnd) done() bool { return e.dropped || e.end != endOpen }
