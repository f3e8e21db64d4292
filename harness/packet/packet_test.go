package packet

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	client = netip.MustParseAddr("192.0.2.1")
	server = netip.MustParseAddr("192.0.2.2")
)

func synWithEveryOption() Packet {
	return Packet{
		IP: IP{ID: 7, TTL: 64, Src: client, Dst: server},
		TCP: Segment{
			SrcPort: 49152, DstPort: 80, Seq: 1000, Flags: SYN, Window: 64240,
			Options: Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamps: true, TSVal: 1, TSEcr: 0,
				HasWindowScale: true, WindowScale: 7},
		},
	}
}

func TestEncodeThenParseGivesBackEveryField(t *testing.T) {
	for _, p := range []Packet{
		synWithEveryOption(),
		{IP: IP{TTL: 64, Src: server, Dst: client}, TCP: Segment{SrcPort: 80, DstPort: 49152, Seq: 5, Ack: 1001,
			Flags: ACK | PSH, Window: 501, Payload: []byte("hello"),
			Options: Options{HasTimestamps: true, TSVal: 9, TSEcr: 1, NumSACKBlocks: 2,
				SACKBlocks: [MaxSACKBlocks]SACKBlock{{100, 200}, {300, 400}}}}},
	} {
		b := p.Encode(Illegal{})
		got, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse(Encode(%v)): %v", p.TCP.Flags, err)
		}
		// Parse fills in what Encode computed.
		p.TCP.DataOffset, p.TCP.Checksum, p.IP.Checksum = got.TCP.DataOffset, got.TCP.Checksum, got.IP.Checksum
		if diff := cmp.Diff(p, got, cmpopts.EquateComparable(netip.Addr{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip (-sent +parsed):\n%s", diff)
		}
	}
}

func TestParseReportsBadChecksumsAndStillDescribes(t *testing.T) {
	p := synWithEveryOption()
	p.TCP.Checksum = 0xbeef
	got, err := Parse(p.Encode(Illegal{KeepTCPChecksum: true}))
	if !errors.Is(err, ErrTCPChecksum) {
		t.Fatalf("bad TCP checksum: err = %v", err)
	}
	if got.TCP.Seq != 1000 || !got.TCP.Options.HasMSS {
		t.Fatalf("the corrupted packet is not described: %+v", got.TCP)
	}
	p = synWithEveryOption()
	p.IP.Checksum = 0xbeef
	if _, err := Parse(p.Encode(Illegal{KeepIPChecksum: true})); !errors.Is(err, ErrIPChecksum) {
		t.Fatalf("bad IP checksum: err = %v", err)
	}
}

// Bytes past the total length are link padding: the packet parses, and
// its payload ends where the total length says.
func TestParseIgnoresLinkPadding(t *testing.T) {
	good := synWithEveryOption().Encode(Illegal{})
	p, err := Parse(append(append([]byte{}, good...), 0, 0, 0xee))
	if err != nil {
		t.Fatalf("padded packet: %v", err)
	}
	if want, _ := Parse(good); len(p.TCP.Payload) != len(want.TCP.Payload) {
		t.Fatalf("payload %d bytes with padding, %d without", len(p.TCP.Payload), len(want.TCP.Payload))
	}
}

func TestParseRefusesWhatItCannotDescribe(t *testing.T) {
	good := synWithEveryOption().Encode(Illegal{})
	for name, b := range map[string][]byte{
		"truncated":          good[:30],
		"data offset beyond": func() []byte { c := append([]byte{}, good...); c[20+12] = 15 << 4; return c }(),
		"option past the end": func() []byte {
			c := append([]byte{}, good...)
			c[20+20+1] = 40 // MSS claims 40 bytes
			return c
		}(),
	} {
		if _, err := Parse(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestFlagsPrintAsTcpdump(t *testing.T) {
	for f, want := range map[Flags]string{SYN: "S", SYN | ACK: "S.", ACK: ".", FIN | ACK: "F.", RST: "R", 0: "none", PSH | ACK: "P."} {
		if got := f.String(); got != want {
			t.Errorf("%08b prints %q, want %q", f, got, want)
		}
	}
}
