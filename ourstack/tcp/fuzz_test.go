package tcp

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// FuzzConnection turns the fuzz input into a list of operations (segments
// from the peer near the window or anywhere, application calls, time
// passing) against a live TCB, quic-go frame_sorter style, and checks after
// each that nothing panicked and the TCB's invariants hold:
//
//	SND.UNA =< SND.NXT =< SND.MAX, RCV.NXT =< the advertised right edge,
//	no segment longer than the MSS, no timer left in CLOSED.
//
// go test -fuzz FuzzConnection ./ourstack/tcp
func FuzzConnection(f *testing.F) {
	f.Add([]byte{0, 0, 0x10, 0, 0, 0, 1, 0xff, 0xff, 5})
	f.Add([]byte{1, 0, 0x12, 0, 0, 0, 1, 0xff, 0xff, 0, 1, 200, 3, 10, 0, 0x11, 0, 1, 0, 1, 0, 16, 0})
	f.Add([]byte{2, 1, 100, 0, 0x10, 0, 50, 0, 1, 0x10, 0, 0, 4, 0, 0, 3, 1, 5, 1, 0, 0x04, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 1, 255, 1, 255, 3, 255, 0, 0x18, 0, 0, 0, 0, 0x01, 0, 200, 0, 0x14, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		now := epoch
		cfg := Config{MSS: 536, SendBuffer: 8 << 10, ReceiveBuffer: 8 << 10, MSL: time.Second}
		if in[0]&4 != 0 {
			cfg.NoSACK, cfg.NoTimestamps = true, true
		}
		var tcb *TCB
		switch in[0] % 3 {
		case 0:
			tcb = Open(cfg, testID, 0xfffffff0, now)
		case 1:
			s := wire.Segment{Seq: 0x7ffffff0, Flags: syn, Window: 1000,
				Options: wire.Options{HasMSS: true, MSS: 100, SACKPermitted: true, HasTimestamps: true, TSVal: 9, HasWindowScale: true, WindowScale: 3}}
			tcb = OpenPassive(cfg, testID, &s, 0xfffffff0, now)
		default:
			a := wire.Segment{Seq: 77, Ack: 0xfffffff1, Flags: ack, Window: 500}
			tcb = OpenFromCookie(cfg, testID, &a, 200, now)
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
				s := wire.Segment{SrcPort: remotePort, DstPort: localPort, Flags: flags, Window: win,
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
	})
}

func checkInvariants(t *testing.T, tcb *TCB) {
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
