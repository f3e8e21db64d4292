package conformance

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

// transferChunk is how much of the stream is generated (and offered to
// Write) at a time: small enough that a 16 MiB transfer never holds the
// whole stream in memory, big enough that Write always has a window's worth.
const transferChunk = 256 << 10

// Transfer is one bulk transfer in progress: a byte stream drawn from the
// run's seed, written on one connection and read on the other, each read
// compared with the bytes written there (judge.ReadMatches). It never
// blocks: Pump moves what it can and reports whether the reader has
// everything, so it runs inside a WaitFor and the Net stays on virtual
// time.
type Transfer struct {
	e        *Env
	from, to harness.Conn
	size     int

	src streamSource
	// The stream from byte read to byte generated (unread) lives in back,
	// from start on; generate moves it to the front when the bytes
	// already read there outnumber it.
	back      []byte
	start     int
	generated int
	written   int
	read      int
	readBuf   []byte
	// mismatch says how the first read that did not match the stream
	// differed from it. Pump reads on after it, so that the scenario's
	// later checks see the stream's end (a lneto end whose reassembly
	// changes bytes, LnetoReorderedDataCorrupted, is judged on them),
	// unless the read ran past what was written (overrun).
	mismatch string
	overrun  bool

	// Paused stops the reader: Pump writes but does not read, so the
	// receive window fills (zero-window).
	Paused bool
	// ReadLimit, if positive, caps how many bytes Pump reads in total
	// while it is set, to open the window by a known amount.
	ReadLimit int
	// CompletedAt is the virtual time the last byte was read (0 before).
	CompletedAt time.Duration

	writeErr, readErr error
}

// NewTransfer prepares a transfer of size bytes from one connection to the
// other. The stream is drawn from the run's seed and the sending side, so
// one seed gives one stream each way, and the two ways differ.
func (e *Env) NewTransfer(from, to harness.Conn, size int) *Transfer {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], e.Seed)
	key[8] = byte(e.Side(from))
	copy(key[9:], "tcpbed bulk stream")
	return &Transfer{
		e: e, from: from, to: to, size: size,
		src:     streamSource{x: rand.NewChaCha8(key).Uint64()},
		back:    takeTransferBuffer(min(size, transferChunk)),
		readBuf: make([]byte, 64<<10),
	}
}

// unread is the stream from byte read to byte generated: what a read must
// match, and, from byte written on, what Write has yet to take.
func (t *Transfer) unread() []byte { return t.back[t.start : t.start+t.generated-t.read] }

// generate draws the next n bytes of the stream onto the end of unread.
func (t *Transfer) generate(n int) {
	live := t.generated - t.read
	if t.start+live+n > len(t.back) {
		if t.start < live || live+n > len(t.back) {
			// Not enough room even at the front, or moving the
			// unread bytes there would cost more than the bytes
			// already read that it frees: a bigger back.
			back := make([]byte, 2*(live+n))
			copy(back, t.unread())
			t.back = back
		} else {
			copy(t.back, t.unread())
		}
		t.start = 0
	}
	t.src.fill(t.back[t.start+live : t.start+live+n])
	t.generated += n
}

// transferBuffers keeps the buffers of finished transfers for the next
// ones (two: a scenario may run one each way at once). A transfer's buffer
// grows to what the two stacks' buffers hold, megabytes, and fresh memory
// costs its page faults, dear in a virtual machine.
var transferBuffers = make(chan []byte, 2)

// takeTransferBuffer is a kept buffer, or a new one of n bytes.
func takeTransferBuffer(n int) []byte {
	select {
	case b := <-transferBuffers:
		return b
	default:
		return make([]byte, n)
	}
}

func giveTransferBuffer(b []byte) {
	if len(b) < transferChunk {
		return
	}
	select {
	case transferBuffers <- b:
	default:
	}
}

// consume counts n more bytes read, taking them off unread.
func (t *Transfer) consume(n int) {
	t.read += n
	t.start += n
	if t.read == t.generated {
		t.start = 0
	}
}

// streamSource draws a transfer's stream: SplitMix64 (Steele, Lea and
// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
// from a state the run's seed keys, eight bytes a step, three times as fast
// as ChaCha8's Read, which took a twentieth of the matrix's CPU. No two
// stretches of a stream repeat, so a byte lost, moved or changed shows.
type streamSource struct {
	x    uint64
	rest []byte // what is left of the last step's eight bytes
	word [8]byte
}

// fill writes the stream's next len(b) bytes into b, made unclaimable.
func (s *streamSource) fill(b []byte) {
	n := copy(b, s.rest)
	s.rest = s.rest[n:]
	for ; n+8 <= len(b); n += 8 {
		binary.LittleEndian.PutUint64(b[n:], s.next())
	}
	if n < len(b) {
		binary.LittleEndian.PutUint64(s.word[:], s.next())
		k := copy(b[n:], s.word[:])
		s.rest = s.word[k:]
	}
}

func (s *streamSource) next() uint64 {
	s.x += 0x9e3779b97f4a7c15
	z := s.x
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return unclaimableWord(z ^ z>>31)
}

// unclaimableWord rewrites the eight bytes of w so that no Wireshark
// heuristic dissector claims a segment of the stream, wherever the stack
// cuts it: Thrift's claims a TCP payload that starts (or starts after a
// 4-byte frame length) with 0x80 or 0x82 and a version byte, and then
// flags every later segment of the conversation as a malformed Thrift PDU.
// Those two byte values become 0xC0 and 0xC2; the other 254 stay as drawn.
// A byte of x is zero where w's is 0x80 or 0x82, and the sum sets the top
// bit of every byte of x's low seven bits but a zero one's (no carry
// crosses a byte), so marked has 0x80 in exactly those bytes.
func unclaimableWord(w uint64) uint64 {
	const low7, top = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	x := w&^0x0202020202020202 ^ top
	marked := ^((x&low7 + low7) | x) & top
	return w | marked>>1
}

// Pump writes as much of the stream as the sender's buffer takes and reads
// everything the receiver has ready (unless Paused). It reports true once
// the whole stream has been read, or once either end returned an error (the
// run then fails in Run).
func (t *Transfer) Pump() bool {
	for t.writeErr == nil && t.written < t.size {
		if t.written == t.generated {
			t.generate(min(transferChunk, t.size-t.generated))
		}
		n, err := t.from.Write(t.unread()[t.written-t.read:])
		t.written += n
		if err != nil {
			if !errors.Is(err, harness.ErrWouldBlock) {
				t.writeErr = err
			}
			break
		}
		if n == 0 {
			break
		}
	}
	for !t.Paused && t.readErr == nil && !t.overrun && t.read < t.size {
		want := min(len(t.readBuf), t.size-t.read)
		if t.ReadLimit > 0 {
			want = min(want, t.ReadLimit-t.read)
			if want <= 0 {
				break
			}
		}
		n, err := t.to.Read(t.readBuf[:want])
		wrote := t.unread()[:t.written-t.read]
		if t.mismatch == "" {
			t.mismatch = judge.ReadMatches(wrote, t.read, t.readBuf[:n], t.e.Side(t.from).String())
		}
		if t.overrun = n > len(wrote); t.overrun {
			break
		}
		t.consume(n)
		if err != nil {
			if !errors.Is(err, harness.ErrWouldBlock) {
				t.readErr = err
			}
			break
		}
		if n == 0 {
			break
		}
	}
	if t.read == t.size && t.back != nil {
		t.CompletedAt = t.e.Now()
		giveTransferBuffer(t.back)
		t.back, t.start = nil, 0
	}
	return t.read == t.size || t.writeErr != nil || t.readErr != nil || t.overrun
}

// BytesWritten is how much of the stream the sender's Write has taken.
func (t *Transfer) BytesWritten() int { return t.written }

// BytesRead is how much of the stream the receiver has read.
func (t *Transfer) BytesRead() int { return t.read }

// Run pumps until the reader has the whole stream, then checks the
// application's view: neither end saw an error, and every byte written was
// read once, in order, as written.
func (t *Transfer) Run() {
	e := t.e
	what := fmt.Sprintf("%s to read the %d bytes %s wrote", e.Side(t.to), t.size, e.Side(t.from))
	e.WaitFor(what, t.Pump)
	t.Check()
}

// Check fails the scenario unless the transfer finished cleanly, every
// byte read as written.
func (t *Transfer) Check() {
	e := t.e
	if t.writeErr != nil || t.readErr != nil {
		// A lneto end that aborted on a run of unacceptable segments
		// leaves nothing more to check.
		e.lnetoAbortedOnUnacceptable()
	}
	if t.writeErr != nil {
		e.Fatalf(e.Side(t.from).String()+" Write to take the whole stream", "Write returned %v after %d of %d bytes", t.writeErr, t.written, t.size)
	}
	if t.mismatch != "" && e.lnetoHeldOutOfOrder(e.Side(t.to)) {
		return
	}
	if t.mismatch != "" {
		e.Fatalf(fmt.Sprintf("the %s to read each of the %d bytes once, in order, as written", e.Side(t.to), t.size),
			"%s: some byte arrived changed, twice or out of order", t.mismatch)
	}
	if t.readErr != nil {
		e.Fatalf(e.Side(t.to).String()+" Read to return the whole stream", "Read returned %v after %d of %d bytes", t.readErr, t.read, t.size)
	}
	if t.read != t.size {
		e.Fatalf(fmt.Sprintf("%d bytes read", t.size), "%d bytes read", t.read)
	}
}
