package conformance

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/rand/v2"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// transferChunk is how much of the stream is generated (and offered to
// Write) at a time: small enough that a 16 MiB transfer never holds the
// whole stream in memory, big enough that Write always has a window's worth.
const transferChunk = 256 << 10

// Transfer is one bulk transfer in progress: a byte stream drawn from the
// run's seed, written on one connection and read on the other, with a
// SHA-256 digest of each end's view. It never blocks: Pump moves what it
// can and reports whether the reader has everything, so it runs inside a
// WaitFor and the Net stays on virtual time.
type Transfer struct {
	e        *Env
	from, to harness.Conn
	size     int

	src       *rand.ChaCha8
	chunk     []byte
	pending   []byte // generated, not yet taken by Write
	generated int
	written   int
	read      int
	readBuf   []byte
	sent, got hash.Hash

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
		src:     rand.NewChaCha8(key),
		chunk:   make([]byte, min(size, transferChunk)),
		readBuf: make([]byte, 64<<10),
		sent:    sha256.New(), got: sha256.New(),
	}
}

// unclaimable rewrites b so that no Wireshark heuristic dissector claims a
// segment of it, wherever the stack cuts the stream: Thrift's claims a TCP
// payload that starts (or starts after a 4-byte frame length) with 0x80 or
// 0x82 and a version byte, and then flags every later segment of the
// conversation as a malformed Thrift PDU. Those two byte values become 0xC0
// and 0xC2; the other 254 stay as drawn, so the digest still catches a byte
// lost, moved or changed.
func unclaimable(b []byte) {
	for i, c := range b {
		if c&^0x02 == 0x80 {
			b[i] = c | 0x40
		}
	}
}

// Pump writes as much of the stream as the sender's buffer takes and reads
// everything the receiver has ready (unless Paused). It reports true once
// the whole stream has been read, or once either end returned an error (the
// run then fails in Run).
func (t *Transfer) Pump() bool {
	for t.writeErr == nil && t.written < t.size {
		if len(t.pending) == 0 {
			n := min(len(t.chunk), t.size-t.generated)
			t.src.Read(t.chunk[:n])
			unclaimable(t.chunk[:n])
			t.sent.Write(t.chunk[:n])
			t.generated += n
			t.pending = t.chunk[:n]
		}
		n, err := t.from.Write(t.pending)
		t.pending = t.pending[n:]
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
	for !t.Paused && t.readErr == nil && t.read < t.size {
		want := min(len(t.readBuf), t.size-t.read)
		if t.ReadLimit > 0 {
			want = min(want, t.ReadLimit-t.read)
			if want <= 0 {
				break
			}
		}
		n, err := t.to.Read(t.readBuf[:want])
		t.got.Write(t.readBuf[:n])
		t.read += n
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
	if t.read == t.size && t.CompletedAt == 0 {
		t.CompletedAt = t.e.Now()
	}
	return t.read == t.size || t.writeErr != nil || t.readErr != nil
}

// BytesWritten is how much of the stream the sender's Write has taken.
func (t *Transfer) BytesWritten() int { return t.written }

// BytesRead is how much of the stream the receiver has read.
func (t *Transfer) BytesRead() int { return t.read }

// Run pumps until the reader has the whole stream, then checks the
// application's view: neither end saw an error, and the digest of what was
// read equals the digest of what was written (every byte once, in order).
func (t *Transfer) Run() {
	e := t.e
	what := fmt.Sprintf("%s to read the %d bytes %s wrote", e.Side(t.to), t.size, e.Side(t.from))
	e.WaitFor(what, t.Pump)
	t.Check()
}

// Check fails the scenario unless the transfer finished cleanly with equal
// digests.
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
	if t.readErr != nil {
		e.Fatalf(e.Side(t.to).String()+" Read to return the whole stream", "Read returned %v after %d of %d bytes", t.readErr, t.read, t.size)
	}
	if t.read != t.size {
		e.Fatalf(fmt.Sprintf("%d bytes read", t.size), "%d bytes read", t.read)
	}
	sent, got := t.sent.Sum(nil), t.got.Sum(nil)
	if string(sent) != string(got) && e.lnetoHeldOutOfOrder(e.Side(t.to)) {
		return
	}
	if string(sent) != string(got) {
		e.Fatalf(fmt.Sprintf("the digest of the bytes read to equal the written one, sha256 %x", sent),
			"sha256 %x over %d bytes: some byte arrived changed, twice or out of order", got, t.read)
	}
}
