package wire

import (
	"net/netip"
	"testing"
)

func netipMustParse(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestFlagsString(t *testing.T) {
	tests := []struct {
		f    Flags
		want string
	}{
		{0, "none"},
		{FlagSYN, "S"},
		{FlagSYN | FlagACK, "S."},
		{FlagFIN | FlagACK, "F."},
		{FlagRST | FlagACK, "R."},
		{FlagRST, "R"},
		{FlagPSH | FlagACK, "P."},
		{FlagACK, "."},
		{FlagFIN | FlagPSH | FlagACK, "FP."},
		{FlagSYN | FlagECE | FlagCWR, "SEW"},
		{0xff, "FSRP.UEW"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint8(tt.f), got, tt.want)
		}
	}
}

func TestSegmentString(t *testing.T) {
	syn := synEveryOptionPacket()
	if got, want := syn.TCP.String(), "Flags [S], seq 16909060, win 64240, options [mss 1460,sackOK,TS val 287454020 ecr 0,wscale 7], length 0"; got != want {
		t.Errorf("SYN:\n got %s\nwant %s", got, want)
	}
	sack := ackSACKPacket()
	if got, want := sack.TCP.String(), "Flags [.], seq 16909075, ack 2695938257, win 502, options [TS val 287454022 ecr 1432778632,sack 2 {16909088:16909104} {16909120:16909136}], length 0"; got != want {
		t.Errorf("SACK:\n got %s\nwant %s", got, want)
	}
}

// Parse, ParseIPv6 and Encode allocate nothing.
func TestNoAllocations(t *testing.T) {
	buf := make([]byte, 1600)
	for _, v := range vectors() {
		if n := testing.AllocsPerRun(100, func() { _, _ = Parse(v.bytes) }); n != 0 {
			t.Errorf("Parse(%s) allocates %v times", v.name, n)
		}
		p := v.packet
		if n := testing.AllocsPerRun(100, func() { _, _ = p.Encode(buf, Illegal{}) }); n != 0 {
			t.Errorf("Encode(%s) allocates %v times", v.name, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = p.Len() }); n != 0 {
			t.Errorf("Len(%s) allocates %v times", v.name, n)
		}
	}
	for _, v := range vectors6() {
		if n := testing.AllocsPerRun(100, func() { _, _ = ParseIPv6(v.bytes) }); n != 0 {
			t.Errorf("ParseIPv6(%s) allocates %v times", v.name, n)
		}
		p := v.packet
		if n := testing.AllocsPerRun(100, func() { _, _ = p.Encode(buf, Illegal{}) }); n != 0 {
			t.Errorf("Packet6.Encode(%s) allocates %v times", v.name, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = p.Len() }); n != 0 {
			t.Errorf("Packet6.Len(%s) allocates %v times", v.name, n)
		}
	}
	src, dst := netipMustParse("2001:db8::1"), netipMustParse("2001:db8::2")
	if n := testing.AllocsPerRun(100, func() { _ = PseudoHeaderChecksum(src, dst, 20) }); n != 0 {
		t.Errorf("PseudoHeaderChecksum of IPv6 addresses allocates %v times", n)
	}
}

func TestPacketString(t *testing.T) {
	p := synAckPacket()
	want := "IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 2695938256, ack 16909061, win 65160, options [mss 1460,sackOK,TS val 1432778632 ecr 287454020,wscale 7], length 0"
	if got := p.String(); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}
