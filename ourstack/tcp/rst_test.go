package tcp

import (
	"errors"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

func tsOpts(val, ecr uint32) *wire.Options {
	return &wire.Options{HasTimestamps: true, TSVal: val, TSEcr: ecr}
}

var synchronizedStates = []State{Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait}

// RFC 5961 3.2 in every synchronized state (and SYN-RECEIVED): exact
// resets, in-window draws a challenge ACK, outside is ignored.
func TestRSTInEveryState(t *testing.T) {
	wantErr := map[State]error{
		SynReceived: ErrConnectionReset, Established: ErrConnectionReset, FinWait1: ErrConnectionReset,
		FinWait2: ErrConnectionReset, CloseWait: ErrConnectionReset, Closing: nil, LastAck: nil,
	}
	for _, s := range append([]State{SynReceived}, synchronizedStates...) {
		t.Run(s.String(), func(t *testing.T) {
			// Exact.
			f := tcbInState(t, s)
			_, rcvNxt := f.seqs()
			f.send(seg{flags: rst, seq: rcvNxt})
			f.expectNothing()
			if s == TimeWait {
				f.expectState(TimeWait) // RFC 1337
			} else {
				f.expectState(Closed)
				if !errors.Is(f.tcb.Err(), wantErr[s]) || (wantErr[s] == nil) != (f.tcb.Err() == nil) {
					t.Fatalf("err %v, want %v", f.tcb.Err(), wantErr[s])
				}
			}

			// In the window but not exact: challenge ACK.
			f = tcbInState(t, s)
			sndNxt, rcvNxt := f.seqs()
			f.send(seg{flags: rst, seq: rcvNxt + 100})
			if s == TimeWait {
				f.expectNothing()
			} else {
				f.expect(seg{flags: ack, seq: sndNxt, ack: rcvNxt, win: -1})
				if f.tcb.Stats().ChallengeACKs != 1 {
					t.Fatalf("ChallengeACKs = %d", f.tcb.Stats().ChallengeACKs)
				}
			}
			f.expectState(s)

			// Outside the window: ignored.
			f = tcbInState(t, s)
			_, rcvNxt = f.seqs()
			f.send(seg{flags: rst, seq: rcvNxt + testWindow + 10})
			f.send(seg{flags: rst, seq: rcvNxt - 1})
			f.expectNothing()
			f.expectState(s)
		})
	}
}

func TestResetEndsReadsAndWrites(t *testing.T) {
	f := tcbEstablished(t)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "buffered"})
	f.send(seg{flags: rst, seq: remoteISS + 9})
	if _, err := f.read(); !errors.Is(err, ErrConnectionReset) {
		t.Fatalf("Receive after reset: %v", err)
	}
	if _, err := f.tcb.Send(f.now, []byte("x")); !errors.Is(err, ErrConnectionReset) {
		t.Fatalf("Send after reset: %v", err)
	}
	if !f.tcb.Readable() || !f.tcb.Writable() {
		t.Fatal("a reset connection must be readable and writable (to report the error)")
	}
}

// RFC 5961 4.2: a SYN in a synchronized state draws a challenge ACK,
// whatever its sequence number.
func TestSYNInSynchronizedStates(t *testing.T) {
	for _, s := range synchronizedStates {
		t.Run(s.String(), func(t *testing.T) {
			f := tcbInState(t, s)
			sndNxt, rcvNxt := f.seqs()
			synSeq := rcvNxt + 10
			if s == TimeWait {
				synSeq = rcvNxt // one beyond would reopen (RFC 6191)
			}
			f.send(seg{flags: syn, seq: synSeq})
			f.expect(seg{flags: ack, seq: sndNxt, ack: rcvNxt, win: -1})
			f.expectState(s)
		})
	}
}

func TestChallengeACKRateLimit(t *testing.T) {
	f := tcbEstablished(t)
	for range 25 {
		f.send(seg{flags: syn, seq: remoteISS + 10})
	}
	if n := len(f.poll()); n != 1 {
		t.Fatalf("%d segments", n) // one ACK answers them all
	}
	if got := f.tcb.Stats().ChallengeACKs; got != DefaultChallengeACKLimit {
		t.Fatalf("ChallengeACKs = %d, want the limit %d", got, DefaultChallengeACKLimit)
	}
	f.advance(time.Second)
	f.send(seg{flags: syn, seq: remoteISS + 10})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
}

func TestOldDuplicateSynAndOutOfWindowSegments(t *testing.T) {
	f := tcbEstablished(t)
	// An old duplicate SYN (seq below RCV.NXT): unacceptable, ACKed.
	f.send(seg{flags: syn, seq: remoteISS})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	// Data entirely beyond the window.
	f.send(seg{flags: ack, seq: remoteISS + 1 + testWindow, ack: localISS + 1, data: "far"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	// Data entirely before RCV.NXT (an old duplicate).
	f.send(seg{flags: ack, seq: remoteISS - 3, ack: localISS + 1, data: "old"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	f.expectState(Established)
	if got, _ := f.read(); got != "" {
		t.Fatalf("delivered %q", got)
	}
}

func TestAckForDataNeverSent(t *testing.T) {
	f := tcbEstablished(t)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 100, win: testWindow, data: "x"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	if got, _ := f.read(); got != "" {
		t.Fatalf("delivered %q from a segment that should have been dropped", got)
	}
	// RFC 5961 5.2: an ACK far below SND.UNA is dropped with an ACK too.
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS.Add(^seqnum.Size(100000 - 1)), win: testWindow, data: "y"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
}

func TestSegmentWithoutAckIsDropped(t *testing.T) {
	f := tcbEstablished(t)
	f.send(seg{flags: psh, seq: remoteISS + 1, data: "noack"})
	f.expectNothing()
	if got, _ := f.read(); got != "" {
		t.Fatalf("delivered %q", got)
	}
}

func TestDataBeforeCloseThenFinPartlyDuplicate(t *testing.T) {
	f := tcbEstablished(t)
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "abc"})
	// Overlapping retransmission with new bytes and a FIN: trimmed.
	f.send(seg{flags: ack | fin, seq: remoteISS + 2, ack: localISS + 1, win: testWindow, data: "bcdef"})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 8, win: testWindow - 6})
	f.expectState(CloseWait)
	if got, _ := f.read(); got != "abcdef" {
		t.Fatalf("read %q", got)
	}
}

func TestPAWSDropsOldTimestamp(t *testing.T) {
	f := tcbEstablished(t)
	f.tcb.opts.tsOK = true
	f.tcb.opts.tsRecent = 1000
	f.tcb.opts.tsRecentAt = f.now
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "old", opts: tsOpts(900, 0)})
	got := f.poll()
	if len(got) != 1 || got[0].Flags != ack || got[0].Ack != remoteISS+1 || got[0].Options.TSEcr != 1000 {
		t.Fatalf("PAWS reply %s", describe(got))
	}
	if s, _ := f.read(); s != "" {
		t.Fatalf("PAWS let %q through", s)
	}
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "new", opts: tsOpts(1100, 0)})
	if s, _ := f.read(); s != "new" {
		t.Fatalf("read %q", s)
	}
	if f.tcb.opts.tsRecent != 1100 {
		t.Fatalf("TS.Recent %d", f.tcb.opts.tsRecent)
	}
}

// A reset in CLOSE-WAIT flushes the unread data and the peer's FIN with it:
// Receive reports the reset, not an EOF that would claim every byte arrived
// (found by fuzz/FuzzInterop).
func TestResetInCloseWaitReportsResetNotEOF(t *testing.T) {
	f := tcbEstablished(t)
	f.send(seg{flags: ack | fin, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "unread"})
	f.poll()
	f.expectState(CloseWait)
	f.send(seg{flags: rst, seq: remoteISS + 8})
	f.expectState(Closed)
	if n, err := f.tcb.Receive(f.now, make([]byte, 10)); n != 0 || !errors.Is(err, ErrConnectionReset) {
		t.Fatalf("Receive = %d, %v; want the reset", n, err)
	}
}
