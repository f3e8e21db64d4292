package harness_test

import (
	"bytes"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// handshakeTrace builds the records of a handshake and one data segment by
// hand, as a Net would hold them.
func handshakeTrace() *harness.Trace {
	c, s := netip.AddrFrom4([4]byte{192, 0, 2, 1}), netip.AddrFrom4([4]byte{192, 0, 2, 2})
	pkt := func(from, sport, dport int, seq, ack uint32, f packet.Flags, opts []byte) packet.Packet {
		p := packet.Packet{TCP: packet.Segment{SrcPort: uint16(sport), DstPort: uint16(dport), Seq: 0, Flags: f, Window: 64240}}
		p.TCP.Seq, p.TCP.Ack = seqnumV(seq), seqnumV(ack)
		if from == 1 {
			p.IP.Src, p.IP.Dst = c, s
		} else {
			p.IP.Src, p.IP.Dst = s, c
		}
		return p
	}
	synOpts := []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}
	recs := []*harness.Record{
		{At: 12*time.Second + 100*time.Microsecond, Dir: harness.ClientToServer, Packet: pkt(1, 49152, 80, 1893430205, 0, packet.SYN, nil), TCPOptions: synOpts,
			States: [2]harness.State{harness.SynSent, harness.SynReceived}},
		{At: 12*time.Second + 1100*time.Microsecond, Dir: harness.ServerToClient, Packet: pkt(2, 80, 49152, 84689409, 1893430206, packet.SYN|packet.ACK, nil), TCPOptions: synOpts,
			States: [2]harness.State{harness.Established, harness.SynReceived}},
		{At: 12*time.Second + 2100*time.Microsecond, Dir: harness.ClientToServer, Packet: pkt(1, 49152, 80, 1893430206, 84689410, packet.ACK, nil),
			States: [2]harness.State{harness.Established, harness.Established}},
		{At: 12*time.Second + 2100*time.Microsecond, Dir: harness.ClientToServer, Packet: pkt(1, 49152, 80, 1893430206, 84689410, packet.ACK|packet.PSH, nil), PayloadLen: 5,
			Fate: harness.Dropped, Notes: []string{"loss"}, States: [2]harness.State{harness.Established, harness.Established}},
	}
	for i, r := range recs {
		r.Index = i
	}
	return &harness.Trace{Records: recs}
}

func seqnumV(v uint32) seqnum.Value { return seqnum.Value(v) }

func TestTraceLinesReadLikeTcpdump(t *testing.T) {
	var b strings.Builder
	if err := handshakeTrace().Format(&b, harness.FormatOptions{NoStates: true}); err != nil {
		t.Fatal(err)
	}
	want := `#0 12.000100 192.0.2.1.49152 > 192.0.2.2.80: Flags [S], seq 1893430205, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
#1 12.001100 192.0.2.2.80 > 192.0.2.1.49152: Flags [S.], seq 84689409, ack 1893430206, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
#2 12.002100 192.0.2.1.49152 > 192.0.2.2.80: Flags [.], ack 1, win 64240, length 0
#3 12.002100 192.0.2.1.49152 > 192.0.2.2.80: Flags [P.], seq 1:6, ack 1, win 64240, length 5   DROPPED  (loss)
`
	// The fate and states line up in a column; compare them one gap apart.
	got := regexp.MustCompile(`   +`).ReplaceAllString(b.String(), "   ")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}

	b.Reset()
	handshakeTrace().Format(&b, harness.FormatOptions{Absolute: true})
	lines := strings.Split(b.String(), "\n")
	// With absolute numbers a pure ACK shows its seq too.
	if !strings.Contains(lines[2], "Flags [.], seq 1893430206, ack 84689410,") || !strings.Contains(lines[3], "seq 1893430206:1893430211") {
		t.Fatalf("absolute numbers not printed, or no seq on the pure ACK:\n%s", b.String())
	}
	if !strings.HasSuffix(lines[0], "client SYN-SENT, server SYN-RECEIVED") || !strings.HasSuffix(lines[3], "DROPPED  (loss)  client ESTABLISHED, server ESTABLISHED") {
		t.Fatalf("states not beside the lines:\n%s", b.String())
	}
}

// TestPcapHoldsEveryPacketOnceInOrder reads the capture back: every packet
// of the trace once, in order, and a comment on exactly those the wire did
// not simply deliver (here the third, which a rule drops).
func TestPcapHoldsEveryPacketOnceInOrder(t *testing.T) {
	var capture bytes.Buffer
	n := newTestNet(t, harness.Config{Pcap: &capture, Faults: []*harness.Rule{{Name: "lose the third", Nth: 3, Action: harness.Drop}}})
	c, s := connect(t, n)
	c.Write([]byte("hello"))
	readAll(t, n, s, 5)
	r, err := pcapgo.NewNgReader(&capture, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != 101 {
		t.Fatalf("link type %v, want 101 (LINKTYPE_RAW)", r.LinkType())
	}
	recs := n.Trace().Records
	for i := 0; ; i++ {
		data, ci, opts, err := r.ReadPacketDataWithOptions()
		if err == io.EOF {
			if i != len(recs) {
				t.Fatalf("pcap holds %d packets, trace %d", i, len(recs))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !ci.Timestamp.Equal(harness.Epoch.Add(recs[i].At)) || len(data) != recs[i].Len {
			t.Fatalf("packet %d: pcap %v %d bytes, trace %v %d bytes", i, ci.Timestamp, len(data), harness.Epoch.Add(recs[i].At), recs[i].Len)
		}
		p, err := packet.Parse(data)
		if err != nil || p.TCP.Seq != recs[i].Packet.TCP.Seq {
			t.Fatalf("packet %d does not parse as the trace's: %v", i, err)
		}
		want := []string(nil)
		if i == 2 {
			want = []string{"tcpbed: DROPPED by a fault rule: it never reached its receiver; rules: lose the third"}
		}
		if !slices.Equal(opts.Comments, want) {
			t.Errorf("packet %d (%s): comments %q, want %q", i, recs[i].Fate, opts.Comments, want)
		}
	}
}

// TestStateChangeLinesInterleave: with StateChanges, each change is a line
// among the packets, where it happened, up to the end of TIME-WAIT.
func TestStateChangeLinesInterleave(t *testing.T) {
	n := newTestNet(t, harness.Config{})
	c, s := connect(t, n)
	c.Close()
	if err := n.RunUntil("EOF", time.Second, func() bool { _, err := s.Read(make([]byte, 1)); return err == io.EOF }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := n.Quiet(time.Hour); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n.Trace().Format(&b, harness.FormatOptions{StateChanges: true, NoStates: true})
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if got, want := len(lines), len(n.Trace().Records)+len(n.Trace().Changes); got != want {
		t.Fatalf("%d lines, want %d:\n%s", got, want, b.String())
	}
	last := lines[len(lines)-1]
	cid := c.ID()
	want := strings.Repeat(" ", len(strconv.Itoa(len(n.Trace().Records)-1))+2) + "60.005000 client 192.0.2.1." + strconv.Itoa(int(cid.LocalPort)) + " > 192.0.2.2.80: TIME-WAIT -> CLOSED"
	if last != want {
		t.Fatalf("last line %q, want %q\n%s", last, want, b.String())
	}
	if !strings.Contains(b.String(), "server 192.0.2.2.80: CLOSED -> LISTEN") {
		t.Fatalf("no line for the listener:\n%s", b.String())
	}
}
