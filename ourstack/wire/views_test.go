package wire

import (
	"bytes"
	"testing"
)

// bytes -> fields: every accessor of the views on a hand-written SYN.
func TestViewsReadSYN(t *testing.T) {
	ip, err := NewIPv4(synEveryOption)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"Version", ip.Version(), uint8(4)},
		{"HeaderLen", ip.HeaderLen(), 20},
		{"TOS", ip.TOS(), uint8(0)},
		{"TotalLength", ip.TotalLength(), uint16(60)},
		{"ID", ip.ID(), uint16(0x1c46)},
		{"Flags", ip.Flags(), IPv4DontFragment},
		{"FragOffset", ip.FragOffset(), uint16(0)},
		{"TTL", ip.TTL(), uint8(64)},
		{"Protocol", ip.Protocol(), uint8(6)},
		{"IP Checksum", ip.Checksum(), uint16(0x0a74)},
		{"Src", ip.Src(), client},
		{"Dst", ip.Dst(), server},
		{"len(IP Options)", len(ip.Options()), 0},
		{"HeaderChecksumValid", ip.HeaderChecksumValid(), true},
	}
	tcp, err := NewTCP(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	checks = append(checks, []struct {
		field     string
		got, want any
	}{
		{"SrcPort", tcp.SrcPort(), uint16(40000)},
		{"DstPort", tcp.DstPort(), uint16(80)},
		{"Seq", uint32(tcp.Seq()), uint32(0x01020304)},
		{"Ack", uint32(tcp.Ack()), uint32(0)},
		{"DataOffset", tcp.DataOffset(), uint8(10)},
		{"HeaderLen", tcp.HeaderLen(), 40},
		{"Flags", tcp.Flags(), FlagSYN},
		{"Window", tcp.Window(), uint16(64240)},
		{"TCP Checksum", tcp.Checksum(), uint16(0x5410)},
		{"Urgent", tcp.Urgent(), uint16(0)},
		{"Options", bytes.Equal(tcp.Options(), synEveryOption[40:60]), true},
		{"len(Payload)", len(tcp.Payload()), 0},
	}...)
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

// fields -> bytes: the setters rebuild the fixed headers of a hand-written data segment.
func TestViewsWriteData(t *testing.T) {
	buf := make([]byte, 40)
	ip := IPv4(buf)
	ip.SetVersionIHL(20)
	ip.SetTotalLength(65)
	ip.SetID(0x1c47)
	ip.SetFlagsFragOffset(IPv4DontFragment, 0)
	ip.SetTTL(64)
	ip.SetProtocol(ProtocolTCP)
	ip.SetChecksum(checksumOf(dataPSH, 10))
	ip.SetSrc(client)
	ip.SetDst(server)
	tcp := TCP(buf[20:])
	tcp.SetSrcPort(40000)
	tcp.SetDstPort(80)
	tcp.SetSeq(0x01020305)
	tcp.SetAck(0xa0b0c0d1)
	tcp.SetDataOffset(8)
	tcp.SetFlags(FlagPSH | FlagACK)
	tcp.SetWindow(502)
	tcp.SetChecksum(checksumOf(dataPSH, 36))
	tcp.SetUrgent(0)
	if !bytes.Equal(buf, dataPSH[:40]) {
		t.Errorf("setters wrote\n% x\nwant\n% x", buf, dataPSH[:40])
	}
}

// The checked constructors refuse anything an accessor could panic on.
func TestViewConstructorsRejectShortInput(t *testing.T) {
	for n := range IPv4MinHeaderLen {
		if _, err := NewIPv4(make([]byte, n)); err == nil {
			t.Errorf("NewIPv4 of %d bytes: no error", n)
		}
	}
	b := make([]byte, 24)
	b[0] = 0x46 // IHL 6 = 24 bytes: fits
	if _, err := NewIPv4(b); err != nil {
		t.Errorf("NewIPv4 IHL 6 in 24 bytes: %v", err)
	}
	b[0] = 0x47 // IHL 7 = 28 bytes: does not fit
	if _, err := NewIPv4(b); err == nil {
		t.Error("NewIPv4 IHL 7 in 24 bytes: no error")
	}
	b[0] = 0x44
	if _, err := NewIPv4(b); err == nil {
		t.Error("NewIPv4 IHL 4: no error")
	}
	for n := range TCPMinHeaderLen {
		if _, err := NewTCP(make([]byte, n)); err == nil {
			t.Errorf("NewTCP of %d bytes: no error", n)
		}
	}
	seg := make([]byte, 24)
	for off := range 16 {
		seg[tcpDataOffset] = uint8(off) << 4
		_, err := NewTCP(seg)
		if ok := off == 5 || off == 6; ok != (err == nil) {
			t.Errorf("NewTCP data offset %d in 24 bytes: err %v", off, err)
		}
	}
	// Every accessor on every accepted view, over arbitrary lengths and headers.
	for n := range 70 {
		for _, first := range []byte{0x45, 0x4f, 0x50, 0xf5} {
			b := bytes.Repeat([]byte{first}, n)
			if v, err := NewIPv4(b); err == nil {
				_, _, _, _ = v.Options(), v.Payload(), v.HeaderChecksumValid(), v.Dst()
			}
			if v, err := NewTCP(b); err == nil {
				_, _ = v.Options(), v.Payload()
			}
		}
	}
}
