package tcp

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// fuzzT is what the connection's fuzz body needs of its *testing.T. The
// body takes an interface, and lives outside the _test.go files, so that a
// libFuzzer build of the target (go-118-fuzz-build, as ClusterFuzzLite and
// OSS-Fuzz build it) can call it with a stand-in of its own; the linker
// leaves it out of every other binary.
type fuzzT interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// fuzzConnectionOps is the connection's fuzz target (fuzz_test.go) for one
// input: in picks the starting point, then lists the operations.
func fuzzConnectionOps(t fuzzT, in []byte) {
	if len(in) == 0 {
		return
	}
	// The unit tests' connection and clock (helpers_test.go), which
	// this file cannot see.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := FourTuple{LocalAddr: netip.AddrFrom4([4]byte{192, 0, 2, 1}), LocalPort: 80, RemoteAddr: netip.AddrFrom4([4]byte{192, 0, 2, 2}), RemotePort: 49152}
	cfg := Config{MSS: 536, SendBuffer: 8 << 10, ReceiveBuffer: 8 << 10, MSL: time.Second}
	if in[0]&4 != 0 {
		cfg.NoSACK, cfg.NoTimestamps = true, true
	}
	var tcb *TCB
	switch in[0] % 3 {
	case 0:
		tcb = Open(cfg, id, 0xfffffff0, now)
	case 1:
		s := wire.Segment{Seq: 0x7ffffff0, Flags: wire.FlagSYN, Window: 1000,
			Options: wire.Options{HasMSS: true, MSS: 100, SACKPermitted: true, HasTimestamps: true, TSVal: 9, HasWindowScale: true, WindowScale: 3}}
		tcb = OpenPassive(cfg, id, &s, 0xfffffff0, now)
	default:
		a := wire.Segment{Seq: 77, Ack: 0xfffffff1, Flags: wire.FlagACK, Window: 500}
		tcb = OpenFromCookie(cfg, id, &a, 200, now)
	}
	payload := make([]byte, 4096)
	buf := make([]byte, 4096)
	poll := func() {
		tcb.Poll(now, func(s *wire.Segment) {
			if len(s.Payload) > int(cfg.MSS) {
				t.Fatalf("segment of %d bytes, MSS %d", len(s.Payload), cfg.MSS)
			}
			if s.Options.NumSACKBlocks > wire.MaxSACKBlocks {
				t.Fatalf("%d SACK blocks", s.Options.NumSACKBlocks)
			}
		})
	}
	in = in[1:]
	for len(in) > 0 {
		op := in[0]
		in = in[1:]
		switch op % 6 {
		case 0, 1: // a segment from the peer
			if len(in) < 8 {
				return
			}
			flags := wire.Flags(in[0])
			seqOff := int32(int16(binary.BigEndian.Uint16(in[1:])))
			ackOff := int32(int16(binary.BigEndian.Uint16(in[3:])))
			win := binary.BigEndian.Uint16(in[5:])
			n := int(in[7])
			in = in[8:]
			s := wire.Segment{SrcPort: id.RemotePort, DstPort: id.LocalPort, Flags: flags, Window: win,
				Seq: tcb.rcvNxt + seqnum.Value(seqOff), Ack: tcb.sndUna + seqnum.Value(ackOff), Payload: payload[:n]}
			if op%6 == 1 && len(in) >= 4 {
				s.Options.HasTimestamps = true
				s.Options.TSVal = binary.BigEndian.Uint32(in)
				s.Options.TSEcr = uint32(now.UnixMilli()) + tcb.opts.tsOffset - uint32(in[0])
				in = in[4:]
			}
			if len(in) >= 2 && flags&wire.FlagURG != 0 {
				s.Options.NumSACKBlocks = 1
				s.Options.SACKBlocks[0] = wire.SACKBlock{Left: tcb.sndUna + seqnum.Value(in[0])*10, Right: tcb.sndUna + seqnum.Value(in[1])*10}
				in = in[2:]
			}
			tcb.HandleSegment(now, &s)
		case 2: // the application writes
			if len(in) < 1 {
				return
			}
			tcb.Send(now, payload[:int(in[0])*8])
			in = in[1:]
		case 3: // the application reads
			tcb.Receive(now, buf)
		case 4: // time passes
			if len(in) < 1 {
				return
			}
			now = now.Add(time.Duration(in[0]) * 10 * time.Millisecond)
			if d, ok := tcb.Deadline(); ok && in[0] == 255 {
				now = d
			}
			tcb.HandleTimers(now)
			in = in[1:]
		case 5: // close, half-close or abort
			if len(in) < 1 {
				return
			}
			switch in[0] % 3 {
			case 0:
				tcb.CloseWrite(now)
			case 1:
				tcb.Close(now)
			default:
				tcb.Abort(now)
			}
			in = in[1:]
		}
		poll()
		checkInvariants(t, tcb)
	}
}

// checkInvariants fails t unless the TCB's variables are where RFC 9293
// keeps them.
func checkInvariants(t fuzzT, tcb *TCB) {
	t.Helper()
	if tcb.State() == Closed {
		if _, ok := tcb.Deadline(); ok {
			t.Fatal("a timer armed in CLOSED")
		}
		return
	}
	if tcb.sndNxt.LessThan(tcb.sndUna) || tcb.sndMax.LessThan(tcb.sndNxt) {
		t.Fatalf("%v: SND.UNA %d SND.NXT %d SND.MAX %d", tcb.State(), tcb.sndUna, tcb.sndNxt, tcb.sndMax)
	}
	if tcb.State() != SynSent && tcb.rcvAdv.LessThan(tcb.rcvNxt) {
		t.Fatalf("%v: RCV.NXT %d beyond the advertised edge %d", tcb.State(), tcb.rcvNxt, tcb.rcvAdv)
	}
	if tcb.recv.buf.Len() > tcb.recv.limit+1<<tcb.recv.shift {
		t.Fatalf("receive buffer holds %d, limit %d", tcb.recv.buf.Len(), tcb.recv.limit)
	}
	if tcb.sendBuf != nil && tcb.state.Synchronized() && tcb.sendBuf.Base().GreaterThan(tcb.sndUna) && tcb.sendBuf.Len() > 0 {
		t.Fatalf("send buffer base %d beyond SND.UNA %d", tcb.sendBuf.Base(), tcb.sndUna)
	}
}
