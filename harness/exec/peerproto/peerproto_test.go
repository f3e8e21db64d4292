package peerproto

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	serverAddr = netip.MustParseAddr("192.0.2.2")
	clientAddr = netip.MustParseAddr("192.0.2.1")
)

// Fields to bytes and back, for each message with a layout of its own.
func TestRoundTrips(t *testing.T) {
	hello := HelloFields{Version: 1, Side: SideServer, Flags: FrozenClock, Addr: serverAddr, MTU: 1500, Seed: 42,
		Options: []OptionValue{{OptMSL, uint64(30 * time.Second)}, {OptSACK, 0}}}
	var b Builder
	b.Reset()
	hello.Append(&b)
	got, err := ReadHello(NewFields(b.Bytes(), Version1))
	if err != nil || !reflect.DeepEqual(got, hello) {
		t.Errorf("HELLO: %+v, %v; want %+v", got, err, hello)
	}

	result := HelloResult{Version: 1, Caps: CapStates | CapRealTime, Name: "lwIP 2.1.3"}
	b.Reset()
	result.Append(&b)
	if got, err := ReadHelloResult(NewFields(b.Bytes(), Version1)); err != nil || got != result {
		t.Errorf("HELLO reply: %+v, %v; want %+v", got, err, result)
	}

	conn := ConnResult{Handle: 7, LocalPort: 50000, Remote: netip.AddrPortFrom(serverAddr, 7357)}
	b.Reset()
	conn.Append(&b)
	if got, err := ReadConnResult(NewFields(b.Bytes(), Version1)); err != nil || got != conn {
		t.Errorf("DIAL/ACCEPT result: %+v, %v; want %+v", got, err, conn)
	}

	until := AdvanceUntil{Until: 3*uint64(time.Hour) + 7}
	b.Reset()
	until.Append(&b)
	if got, err := ReadAdvanceUntil(NewFields(b.Bytes(), Version1)); err != nil || got != until {
		t.Errorf("ADVANCE's until: %+v, %v; want %+v", got, err, until)
	}
	reached := AdvanceReached{Reached: uint64(time.Hour) + 250e6}
	b.Reset()
	reached.Append(&b)
	if got, err := ReadAdvanceReached(NewFields(b.Bytes(), Version1)); err != nil || got != reached {
		t.Errorf("ADVANCE's reached: %+v, %v; want %+v", got, err, reached)
	}
	// A reply without reached, or with a byte more, is no reply to an
	// ADVANCE that carried until.
	if _, err := ReadAdvanceReached(NewFields(b.Bytes()[:7], Version1)); !errors.Is(err, ErrShortBody) {
		t.Errorf("ADVANCE's reached, 7 bytes: %v, want ErrShortBody", err)
	}
	if _, err := ReadAdvanceReached(NewFields(append(b.Bytes(), 0), Version1)); !errors.Is(err, ErrLongBody) {
		t.Errorf("ADVANCE's reached, 9 bytes: %v, want ErrLongBody", err)
	}

	ev := StateChangeEvent{At: 1e9 + 3, Local: netip.AddrPortFrom(clientAddr, 50000), Remote: netip.AddrPortFrom(serverAddr, 7357), From: 4, To: 5}
	b.Reset()
	ev.Append(&b)
	if got, err := ReadStateChange(NewFields(b.Bytes(), Version1)); err != nil || got != ev {
		t.Errorf("STATE_CHANGE: %+v, %v; want %+v", got, err, ev)
	}
}

// Version 2 carries IPv6 addresses, 16 bytes each: HELLO says its version
// before its address, and every later frame is read at that width.
func TestVersion2RoundTrips(t *testing.T) {
	server6, client6 := netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::1")
	hello := HelloFields{Version: Version2, Side: SideClient, Addr: client6, MTU: 1500, Seed: 7}
	var b Builder
	b.Reset()
	hello.Append(&b)
	if want := len(Magic) + 2 + 1 + 1 + 16 + 2 + 8 + 2; len(b.Bytes()) != want {
		t.Errorf("a version 2 HELLO of %d bytes, want %d (a 16-byte address)", len(b.Bytes()), want)
	}
	got, err := ReadHello(NewFields(b.Bytes(), Version1)) // HELLO's own version rules
	if err != nil || !reflect.DeepEqual(got, hello) {
		t.Errorf("HELLO: %+v, %v; want %+v", got, err, hello)
	}

	conn := ConnResult{Handle: 3, LocalPort: 50000, Remote: netip.AddrPortFrom(server6, 7357)}
	b.Reset()
	conn.Append(&b)
	if got, err := ReadConnResult(NewFields(b.Bytes(), Version2)); err != nil || got != conn {
		t.Errorf("DIAL/ACCEPT result: %+v, %v; want %+v", got, err, conn)
	}
	if _, err := ReadConnResult(NewFields(b.Bytes(), Version1)); err == nil {
		t.Error("a version 2 DIAL result read as version 1: taken")
	}

	ev := StateChangeEvent{At: 5, Local: netip.AddrPortFrom(client6, 50000), Remote: netip.AddrPortFrom(server6, 7357), From: 2, To: 4}
	b.Reset()
	ev.Append(&b)
	if got, err := ReadStateChange(NewFields(b.Bytes(), Version2)); err != nil || got != ev {
		t.Errorf("STATE_CHANGE: %+v, %v; want %+v", got, err, ev)
	}

	// An IPv4 address has no place in version 2: it goes out as ::.
	b.Reset()
	b.Addr(serverAddr)
	if got := NewFields(b.Bytes(), Version2).Addr(); got != netip.IPv6Unspecified() {
		t.Errorf("an IPv4 address in version 2 reads back as %v, want ::", got)
	}
}

// Bytes to fields: a reply's head, with and without the failure fields.
func TestReplyHead(t *testing.T) {
	var b Builder
	b.Reset()
	b.Reply(Read, OK, Never).Raw([]byte("data"))
	b.End()
	f := NewFields(b.Bytes()[5:], Version1)
	if h := ReadReplyHead(f); h.Status != OK || h.NextTimer != Never || string(f.Rest()) != "data" {
		t.Errorf("OK reply: %+v", h)
	}
	if b.Bytes()[4] != 0x89 || int(binary.BigEndian.Uint32(b.Bytes())) != len(b.Bytes())-4 {
		t.Errorf("READ reply frame % x", b.Bytes())
	}

	b.Reset()
	b.Reply(SetOpt, Unsupported, 5).Failure(OptKeepCnt, "no keep-alive count")
	b.End()
	f = NewFields(b.Bytes()[5:], Version1)
	h := ReadReplyHead(f)
	if h.Status != Unsupported || h.NextTimer != 5 || h.Option != OptKeepCnt || h.Message != "no keep-alive count" || f.End() != nil {
		t.Errorf("UNSUPPORTED reply: %+v", h)
	}
}

// Truncated and overlong bodies, and frames cut short.
func TestBadLengths(t *testing.T) {
	var b Builder
	b.Reset()
	StateChangeEvent{Local: netip.AddrPortFrom(clientAddr, 1), Remote: netip.AddrPortFrom(serverAddr, 2), To: 4}.Append(&b)
	full := b.Bytes()
	for n := range len(full) {
		if _, err := ReadStateChange(NewFields(full[:n], Version1)); !errors.Is(err, ErrShortBody) {
			t.Errorf("STATE_CHANGE cut to %d bytes: %v", n, err)
		}
	}
	if _, err := ReadStateChange(NewFields(append(full, 0), Version1)); !errors.Is(err, ErrLongBody) {
		t.Errorf("STATE_CHANGE with a byte too many: %v", err)
	}
	bad := bytes.Clone(full)
	bad[len(bad)-1] = MaxState + 1
	if _, err := ReadStateChange(NewFields(bad, Version1)); err == nil {
		t.Error("a state code out of range was taken")
	}
	if _, err := ReadHello(NewFields([]byte("XXXX"), Version1)); !errors.Is(err, ErrNoMagic) {
		t.Errorf("HELLO without the magic: %v", err)
	}
	for _, stream := range []string{"", "\x00\x00", "\x00\x00\x00\x05\x01\x00"} {
		_, err := NewFrameReader(strings.NewReader(stream)).Next()
		if want := map[bool]error{true: io.EOF, false: io.ErrUnexpectedEOF}[stream == ""]; !errors.Is(err, want) {
			t.Errorf("stream %q: %v, want %v", stream, err, want)
		}
	}
	var lenErr *LengthError
	if _, err := NewFrameReader(strings.NewReader("\x00\x00\x00\x00")).Next(); !errors.As(err, &lenErr) {
		t.Errorf("a zero length: %v", err)
	}
}

func TestCheckPacket(t *testing.T) {
	ok := append([]byte{0x45, 0, 0, 28}, make([]byte, 24)...)
	if err := CheckPacket(ok, Version1); err != nil {
		t.Errorf("a 28-byte IPv4 packet: %v", err)
	}
	for name, pkt := range map[string][]byte{
		"short":        ok[:19],
		"IPv6":         append([]byte{0x65}, ok[1:]...),
		"IHL 4":        append([]byte{0x44}, ok[1:]...),
		"IHL past end": append([]byte{0x4f}, ok[1:]...),
		"total length": append([]byte{0x45, 0, 0, 40}, ok[4:]...),
	} {
		if err := CheckPacket(pkt, Version1); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
}

func TestCheckPacketIPv6(t *testing.T) {
	ok := append([]byte{0x60, 0, 0, 0, 0, 20, 6, 64}, make([]byte, 32+20)...)
	if err := CheckPacket(ok, Version2); err != nil {
		t.Errorf("a 60-byte IPv6 packet: %v", err)
	}
	if err := CheckPacket(ok, Version1); err == nil {
		t.Error("an IPv6 packet in version 1: taken")
	}
	for name, pkt := range map[string][]byte{
		"short":          ok[:39],
		"IPv4":           append([]byte{0x45}, ok[1:]...),
		"payload length": append([]byte{0x60, 0, 0, 0, 0, 21}, ok[6:]...),
	} {
		if err := CheckPacket(pkt, Version2); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
}

func TestNames(t *testing.T) {
	for typ, want := range map[Type]string{Hello: "HELLO", Hello.Reply(): "HELLO reply", PacketOut: "PACKET_OUT", 0x3F: "type 0x3f", 0xBF: "type 0xbf"} {
		if typ.String() != want {
			t.Errorf("%#x: %q, want %q", uint8(typ), typ.String(), want)
		}
	}
	if Type(0x3F).Known() || !Counters.Reply().Known() || Type(0x80|0x40).Known() {
		t.Error("Known")
	}
	if s := (OptionValue{OptMSL, uint64(30 * time.Second)}).String(); s != "MSL=30s" {
		t.Errorf("MSL option shows as %q", s)
	}
}

// The document's example session (section 9) is made of frames this codec
// reads as the document says, each of the length its length field gives.
func TestTheDocumentsSession(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/peer-protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	_, session, _ := strings.Cut(string(doc), "## 9. A session")
	session, _, _ = strings.Cut(session, "## 10.")
	checked := 0
	for _, line := range strings.Split(session, "\n") {
		from, hexBytes, isFrame := strings.Cut(line, "→")
		if from = strings.TrimSpace(from); !isFrame || (from != "tcpbed" && from != "stack") {
			continue
		}
		elided := strings.Contains(hexBytes, "…")
		hexBytes, _, _ = strings.Cut(hexBytes, "…")
		b, err := hex.DecodeString(strings.ReplaceAll(hexBytes, " ", ""))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if elided {
			continue
		}
		fr, err := NewFrameReader(bytes.NewReader(b)).Next()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if rest := len(b) - 4 - 1 - len(fr.Body); rest != 0 {
			t.Errorf("%q: %d bytes after the frame", line, rest)
		}
		if from == "tcpbed" != fr.Type.IsRequest() {
			t.Errorf("%q: a %s from %s", line, fr.Type, from)
		}
		if err := readWhole(fr); err != nil {
			t.Errorf("%q: %s: %v", line, fr.Type, err)
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("checked only %d frames of the session", checked)
	}
}

// readWhole reads every field of a frame of the types the session shows.
func readWhole(fr Frame) error {
	f := NewFields(fr.Body, Version1)
	switch {
	case fr.Type == StateChange:
		_, err := ReadStateChange(f)
		return err
	case fr.Type.IsRequest():
		f.U64() // now
		switch fr.Type {
		case Hello:
			_, err := ReadHello(f)
			return err
		case Listen:
			f.U16()
			f.U32()
		case Accept:
			f.U32()
		case Read:
			f.U32()
			f.U32()
		}
	case fr.Type.IsReply():
		if h := ReadReplyHead(f); h.Status == OK {
			switch fr.Type.Request() {
			case Hello:
				_, err := ReadHelloResult(f)
				return err
			case Listen:
				f.U32()
				f.U16()
			case Accept:
				_, err := ReadConnResult(f)
				return err
			}
		}
	}
	return f.End()
}

// ADVANCE with until and its reply, byte for byte (section 6): now, then
// until; status, next_timer, then reached.
func TestAdvanceUntilBytes(t *testing.T) {
	var b Builder
	b.Reset()
	b.Request(Advance, 1e9)
	AdvanceUntil{Until: 2e9}.Append(&b)
	b.End()
	if got, want := hex.EncodeToString(b.Bytes()), "0000001104"+"000000003b9aca00"+"0000000077359400"; got != want {
		t.Errorf("ADVANCE at 1 s until 2 s: %s, want %s", got, want)
	}
	b.Reset()
	b.Reply(Advance, OK, 1750e6)
	AdvanceReached{Reached: 1500e6}.Append(&b)
	b.End()
	if got, want := hex.EncodeToString(b.Bytes()), "0000001284"+"00"+"00000000684ee180"+"0000000059682f00"; got != want {
		t.Errorf("its reply, reached 1.5 s, next timer at 1.75 s: %s, want %s", got, want)
	}
}

// PACKETS's bytes as the document lays them out, and back; and the
// bodies that do not hold together.
func TestPackets(t *testing.T) {
	pkts := [][]byte{{0x45, 1, 2}, {0x45}}
	var b Builder
	b.Reset()
	b.Request(Packets, 1e9)
	AppendPackets(&b, pkts)
	b.End()
	want := "000000170f" + "000000003b9aca00" + "0002" + "00000003" + "450102" + "00000001" + "45"
	if got := hex.EncodeToString(b.Bytes()); got != want {
		t.Errorf("PACKETS of two at 1 s: %s, want %s", got, want)
	}
	if got := len(b.Bytes()) - 4; got != 1+8+PacketsSize(pkts) {
		t.Errorf("PacketsSize %d does not match the frame's %d bytes", PacketsSize(pkts), got)
	}
	f := NewFields(b.Bytes()[5:], Version1)
	f.U64()
	got, err := ReadPackets(f)
	if err != nil || !reflect.DeepEqual(got, pkts) {
		t.Errorf("read back %x, %v; want %x", got, err, pkts)
	}
	for _, tc := range []struct{ name, body string }{
		{"no packets", "0000"},
		{"65 packets", "0041"},
		{"a packet of 0 bytes", "0001" + "00000000"},
		{"a length past the body", "0001" + "00000005" + "4501"},
		{"bytes left over", "0001" + "00000001" + "45" + "00"},
		{"a count cut short", "00"},
	} {
		body, _ := hex.DecodeString(tc.body)
		if got, err := ReadPackets(NewFields(body, Version1)); err == nil {
			t.Errorf("%s: read %x, want an error", tc.name, got)
		}
	}
}
