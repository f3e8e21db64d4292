package peerproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Request begins a request frame: its type and now (section 3). The
// caller appends the type's fields and Ends it.
func (b *Builder) Request(t Type, now uint64) *Builder { return b.Begin(t).U64(now) }

// Reply begins the reply to request req: status and next_timer. With
// status OK the caller appends the result fields; otherwise Failure.
func (b *Builder) Reply(req Type, st Status, nextTimer uint64) *Builder {
	return b.Begin(req.Reply()).U8(uint8(st)).U64(nextTimer)
}

// Failure appends a failed reply's fields: the option it concerns (0 for
// none) and a message.
func (b *Builder) Failure(opt Option, msg string) *Builder { return b.U16(uint16(opt)).String(msg) }

// ReplyHead is what every reply starts with; Option and Message are set
// for a status other than OK.
type ReplyHead struct {
	Status    Status
	NextTimer uint64
	Option    Option
	Message   string
}

// ReadReplyHead reads a reply's status and next_timer and, for a status
// other than OK, its option and message: what follows is the result.
func ReadReplyHead(f *Fields) ReplyHead {
	h := ReplyHead{Status: Status(f.U8()), NextTimer: f.U64()}
	if h.Status != OK {
		h.Option = Option(f.U16())
		h.Message = f.String()
	}
	return h
}

// AdvanceUntil is ADVANCE's field after now, for a stack that offers
// ADVANCE_UNTIL (section 6): the stack may run its timers up to Until.
type AdvanceUntil struct{ Until uint64 }

func (a AdvanceUntil) Append(b *Builder) { b.U64(a.Until) }

// ReadAdvanceUntil reads ADVANCE's until, to the end of the body.
func ReadAdvanceUntil(f *Fields) (AdvanceUntil, error) {
	a := AdvanceUntil{Until: f.U64()}
	return a, f.End()
}

// AdvanceReached is the result of an ADVANCE that carried until: the
// instant the stack stopped at, its clock's reading (section 6).
type AdvanceReached struct{ Reached uint64 }

func (a AdvanceReached) Append(b *Builder) { b.U64(a.Reached) }

// ReadAdvanceReached reads an ADVANCE reply's reached, to the end of the
// body.
func ReadAdvanceReached(f *Fields) (AdvanceReached, error) {
	a := AdvanceReached{Reached: f.U64()}
	return a, f.End()
}

// HelloFields is HELLO's fields after now.
type HelloFields struct {
	Version uint16
	Side    uint8
	Flags   HelloFlags
	Addr    netip.Addr
	MTU     uint16
	Seed    uint64
	Options []OptionValue
}

// Append appends HELLO's fields, magic first, in h.Version's form (and
// makes b build that version's frames from now on).
func (h *HelloFields) Append(b *Builder) {
	b.SetVersion(h.Version)
	b.Raw([]byte(Magic)).U16(h.Version).U8(h.Side).U8(uint8(h.Flags)).Addr(h.Addr).U16(h.MTU).U64(h.Seed)
	AppendOptions(b, h.Options)
}

// ErrNoMagic: a HELLO or HELLO reply that does not begin with Magic.
var ErrNoMagic = errors.New(`no "TCPB" magic where HELLO's fields begin`)

// ReadHello reads HELLO's fields (after now).
func ReadHello(f *Fields) (HelloFields, error) {
	var h HelloFields
	if magic := f.take(len(Magic)); string(magic) != Magic {
		return h, ErrNoMagic
	}
	h.Version, h.Side, h.Flags = f.U16(), f.U8(), HelloFlags(f.U8())
	if h.Version != Version1 && h.Version != Version2 {
		// A version this package does not speak: what follows is not
		// known; the caller answers with the version it speaks.
		f.b = nil
		return h, nil
	}
	f.version = h.Version
	h.Addr, h.MTU, h.Seed = f.Addr(), f.U16(), f.U64()
	h.Options = ReadOptions(f)
	return h, f.End()
}

// AppendOptions appends a count and the options, as HELLO and SETOPT hold
// them.
func AppendOptions(b *Builder, opts []OptionValue) {
	b.U16(uint16(len(opts)))
	for _, o := range opts {
		b.U16(uint16(o.Option)).U64(o.Value)
	}
}

// ReadOptions reads a count and that many options.
func ReadOptions(f *Fields) []OptionValue {
	n := int(f.U16())
	var opts []OptionValue
	for i := 0; i < n && !f.short; i++ {
		opts = append(opts, OptionValue{Option: Option(f.U16()), Value: f.U64()})
	}
	return opts
}

// HelloResult is the HELLO reply's result fields.
type HelloResult struct {
	Version uint16
	Caps    Caps
	Name    string
}

// Append appends the result, magic first.
func (h HelloResult) Append(b *Builder) {
	b.Raw([]byte(Magic)).U16(h.Version).U32(uint32(h.Caps)).String(h.Name)
}

// ReadHelloResult reads the HELLO reply's result fields.
func ReadHelloResult(f *Fields) (HelloResult, error) {
	var h HelloResult
	if magic := f.take(len(Magic)); string(magic) != Magic {
		return h, ErrNoMagic
	}
	h.Version, h.Caps, h.Name = f.U16(), Caps(f.U32()), f.String()
	return h, f.End()
}

// ConnResult is DIAL's and ACCEPT's result: a new connection's handle and
// four-tuple (its local address is the stack's own).
type ConnResult struct {
	Handle    uint32
	LocalPort uint16
	Remote    netip.AddrPort
}

func (c ConnResult) Append(b *Builder) {
	b.U32(c.Handle).U16(c.LocalPort).Addr(c.Remote.Addr()).U16(c.Remote.Port())
}

func ReadConnResult(f *Fields) (ConnResult, error) {
	c := ConnResult{Handle: f.U32(), LocalPort: f.U16()}
	addr := f.Addr()
	c.Remote = netip.AddrPortFrom(addr, f.U16())
	return c, f.End()
}

// StateChangeEvent is STATE_CHANGE's fields (section 7).
type StateChangeEvent struct {
	At            uint64
	Local, Remote netip.AddrPort
	From, To      uint8
}

func (e StateChangeEvent) Append(b *Builder) {
	b.U64(e.At).Addr(e.Local.Addr()).U16(e.Local.Port()).Addr(e.Remote.Addr()).U16(e.Remote.Port()).U8(e.From).U8(e.To)
}

func ReadStateChange(f *Fields) (StateChangeEvent, error) {
	e := StateChangeEvent{At: f.U64()}
	la, lp := f.Addr(), f.U16()
	ra, rp := f.Addr(), f.U16()
	e.Local, e.Remote = netip.AddrPortFrom(la, lp), netip.AddrPortFrom(ra, rp)
	e.From, e.To = f.U8(), f.U8()
	if err := f.End(); err != nil {
		return e, err
	}
	if e.From > MaxState || e.To > MaxState {
		return e, fmt.Errorf("state code %d or %d out of range (0 to %d)", e.From, e.To, MaxState)
	}
	return e, nil
}

// CheckPacket reports why pkt is not a whole packet of version v's family
// (section 4's PACKET_OUT rule: IPv4 in version 1, IPv6 in version 2), or
// nil.
func CheckPacket(pkt []byte, v uint16) error {
	if v == Version2 {
		return checkIPv6(pkt)
	}
	if len(pkt) < 20 {
		return fmt.Errorf("%d bytes, shorter than an IPv4 header", len(pkt))
	}
	if v := pkt[0] >> 4; v != 4 {
		return fmt.Errorf("IP version %d, not 4", v)
	}
	if ihl := int(pkt[0]&0xf) * 4; ihl < 20 || ihl > len(pkt) {
		return fmt.Errorf("an IPv4 header length of %d bytes in a %d-byte packet", ihl, len(pkt))
	}
	if total := int(binary.BigEndian.Uint16(pkt[2:])); total != len(pkt) {
		return fmt.Errorf("an IPv4 total length of %d in a %d-byte packet", total, len(pkt))
	}
	return nil
}

// checkIPv6 reports why pkt is not a whole IPv6 packet, or nil.
func checkIPv6(pkt []byte) error {
	if len(pkt) < 40 {
		return fmt.Errorf("%d bytes, shorter than an IPv6 header", len(pkt))
	}
	if v := pkt[0] >> 4; v != 6 {
		return fmt.Errorf("IP version %d, not 6", v)
	}
	if payload := int(binary.BigEndian.Uint16(pkt[4:])); 40+payload != len(pkt) {
		return fmt.Errorf("an IPv6 payload length of %d in a %d-byte packet (40 bytes of header)", payload, len(pkt))
	}
	return nil
}

// AppendPackets appends PACKETS's fields: a count, then each packet
// after its length.
func AppendPackets(b *Builder, pkts [][]byte) {
	b.U16(uint16(len(pkts)))
	for _, pkt := range pkts {
		b.U32(uint32(len(pkt))).Raw(pkt)
	}
}

// PacketsSize is how many bytes AppendPackets appends for pkts.
func PacketsSize(pkts [][]byte) int {
	n := 2
	for _, pkt := range pkts {
		n += 4 + len(pkt)
	}
	return n
}

// ReadPackets reads PACKETS's fields: 1 to MaxBurst packets, each of at
// least one byte, that fill the body exactly.
func ReadPackets(f *Fields) ([][]byte, error) {
	count := int(f.U16())
	if f.short {
		return nil, ErrShortBody
	}
	if count < 1 || count > MaxBurst {
		return nil, fmt.Errorf("a count of %d packets (1 to %d)", count, MaxBurst)
	}
	pkts := make([][]byte, 0, count)
	for range count {
		n := int(f.U32())
		if !f.short && (n < 1 || n > f.Left()) {
			return nil, fmt.Errorf("a packet of %d bytes, with %d left in the body", n, f.Left())
		}
		pkts = append(pkts, f.take(n))
	}
	return pkts, f.End()
}
