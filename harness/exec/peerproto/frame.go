package peerproto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
	"unicode"
)

// Frame is one frame read from a stream: its type and its body (section 2).
type Frame struct {
	Type Type
	Body []byte
}

// FrameReader reads frames from a stream.
type FrameReader struct {
	r   *bufio.Reader
	buf []byte
}

// NewFrameReader reads frames from r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// LengthError is a frame whose length field is out of range: 0, or over
// MaxFrame. Head is the bytes the length was read from, and what followed
// them in the reader's buffer: text there usually means a program printed
// to its standard output.
type LengthError struct {
	Length uint32
	Head   []byte
}

func (e *LengthError) Error() string {
	what := fmt.Sprintf("a frame whose length field is %d (allowed: 1 to %d)", e.Length, MaxFrame)
	if looksLikeText(e.Head) {
		return fmt.Sprintf("%s: the bytes %s are text, not a frame (does it print to its standard output?)", what, strconv.Quote(string(e.Head)))
	}
	return fmt.Sprintf("%s: the stream began % x", what, e.Head)
}

func looksLikeText(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	for _, c := range string(b) {
		if c == unicode.ReplacementChar || (!unicode.IsPrint(c) && !unicode.IsSpace(c)) {
			return false
		}
	}
	return true
}

// Buffered is how many bytes the reader holds that Next has not returned.
func (fr *FrameReader) Buffered() int { return fr.r.Buffered() }

// Next reads the next frame. Its Body is valid until the next call. At the
// end of the stream it returns io.EOF if the stream ended between frames,
// io.ErrUnexpectedEOF if it ended inside one, and a *LengthError for a
// length out of range.
func (fr *FrameReader) Next() (Frame, error) {
	var head [4]byte
	if _, err := io.ReadFull(fr.r, head[:]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n == 0 || n > MaxFrame {
		more, _ := fr.r.Peek(min(fr.r.Buffered(), 60))
		return Frame{}, &LengthError{Length: n, Head: append(head[:], more...)}
	}
	if cap(fr.buf) < int(n) {
		fr.buf = make([]byte, n)
	}
	b := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return Frame{Type: Type(b[0]), Body: b[1:]}, nil
}

// Builder appends frames to a buffer: Begin a frame, append its fields,
// End it (which fills in its length). Several frames may follow one
// another in one buffer, to be written at once.
type Builder struct {
	b       []byte
	start   int    // where the frame under construction begins; -1 if none
	version uint16 // the protocol version, for the width of an addr
}

// SetVersion makes the frames built from now on version v's: its addr
// fields 4 bytes wide (version 1, and the zero Builder) or 16 (version 2).
func (b *Builder) SetVersion(v uint16) { b.version = v }

// Begin starts a frame of type t.
func (b *Builder) Begin(t Type) *Builder {
	b.start = len(b.b)
	b.b = append(b.b, 0, 0, 0, 0, byte(t))
	return b
}

// End fills in the current frame's length.
func (b *Builder) End() {
	binary.BigEndian.PutUint32(b.b[b.start:], uint32(len(b.b)-b.start-4))
	b.start = -1
}

// Len is how many bytes the frame under construction holds after its
// length field so far: the length End will write. Call it before End.
func (b *Builder) Len() int { return len(b.b) - b.start - 4 }

// Bytes is every frame built since the last Reset.
func (b *Builder) Bytes() []byte { return b.b }

// Reset empties the buffer, keeping its memory.
func (b *Builder) Reset() { b.b, b.start = b.b[:0], -1 }

func (b *Builder) U8(v uint8) *Builder   { b.b = append(b.b, v); return b }
func (b *Builder) U16(v uint16) *Builder { b.b = binary.BigEndian.AppendUint16(b.b, v); return b }
func (b *Builder) U32(v uint32) *Builder { b.b = binary.BigEndian.AppendUint32(b.b, v); return b }
func (b *Builder) U64(v uint64) *Builder { b.b = binary.BigEndian.AppendUint64(b.b, v); return b }

// Addr appends an address: in version 1 an IPv4 one (another as
// 0.0.0.0), in version 2 an IPv6 one (another as ::).
func (b *Builder) Addr(a netip.Addr) *Builder {
	if addrLen(b.version) == 16 {
		if !a.Is6() || a.Is4In6() {
			a = netip.IPv6Unspecified()
		}
		v := a.As16()
		b.b = append(b.b, v[:]...)
		return b
	}
	if !a.Is4() {
		a = netip.IPv4Unspecified()
	}
	v := a.As4()
	b.b = append(b.b, v[:]...)
	return b
}

// String appends a string: its length, then its bytes (cut at 65,535).
func (b *Builder) String(s string) *Builder {
	s = s[:min(len(s), 0xFFFF)]
	b.U16(uint16(len(s)))
	b.b = append(b.b, s...)
	return b
}

// Bytes appends raw bytes: the rest of a body.
func (b *Builder) Raw(p []byte) *Builder { b.b = append(b.b, p...); return b }

// Fields reads a body's fields in order. A read past the end sets an
// error (Err) and returns zero; so a decoder reads every field and checks
// once.
type Fields struct {
	b       []byte
	short   bool
	version uint16
}

// NewFields reads the fields of body, a frame of protocol version v (which
// sets the width of its addr fields; HELLO's says its own version).
func NewFields(body []byte, v uint16) *Fields { return &Fields{b: body, version: v} }

func (f *Fields) take(n int) []byte {
	if len(f.b) < n {
		f.short, f.b = true, nil
		return nil
	}
	p := f.b[:n]
	f.b = f.b[n:]
	return p
}

func (f *Fields) U8() uint8 {
	if p := f.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (f *Fields) U16() uint16 {
	if p := f.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (f *Fields) U32() uint32 {
	if p := f.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (f *Fields) U64() uint64 {
	if p := f.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (f *Fields) Addr() netip.Addr {
	if addrLen(f.version) == 16 {
		if p := f.take(16); p != nil {
			return netip.AddrFrom16([16]byte(p))
		}
		return netip.IPv6Unspecified()
	}
	if p := f.take(4); p != nil {
		return netip.AddrFrom4([4]byte(p))
	}
	return netip.IPv4Unspecified()
}

func (f *Fields) String() string {
	n := int(f.U16())
	return string(f.take(n))
}

// Rest takes what is left of the body.
func (f *Fields) Rest() []byte {
	p := f.b
	f.b = nil
	return p
}

// ErrShortBody and ErrLongBody: a body too short or too long for its type.
var (
	ErrShortBody = errors.New("body too short for its type")
	ErrLongBody  = errors.New("body too long for its type")
)

// Left is how many bytes of the body are still to read.
func (f *Fields) Left() int { return len(f.b) }

// End reports whether the body held exactly the fields read.
func (f *Fields) End() error {
	if f.short {
		return ErrShortBody
	}
	if len(f.b) > 0 {
		return fmt.Errorf("%w (%d bytes left over)", ErrLongBody, len(f.b))
	}
	return nil
}

func durationString(ns uint64) string {
	if ns > uint64(1<<63-1) {
		return strconv.FormatUint(ns, 10) + "ns"
	}
	return time.Duration(ns).String()
}
