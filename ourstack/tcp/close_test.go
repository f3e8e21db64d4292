package tcp

import (
	"errors"
	"io"
	"testing"
	"time"
)

// Tests for the closing states: FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT,
// CLOSING, LAST-ACK, TIME-WAIT.

func TestActiveCloseToTimeWaitExactly2MSL(t *testing.T) {
	f := tcbTimeWait(t)
	if _, err := f.read(); err != io.EOF {
		t.Fatalf("Receive err %v, want EOF", err)
	}
	d, ok := f.tcb.Deadline()
	if !ok || d.Sub(f.now) != 2*DefaultMSL {
		t.Fatalf("TIME-WAIT deadline in %v, want %v", d.Sub(f.now), 2*DefaultMSL)
	}
	f.advance(2*DefaultMSL - time.Nanosecond)
	f.expectState(TimeWait)
	f.advance(time.Nanosecond)
	f.expectState(Closed)
	f.expectNothing()
	if !f.tcb.Done() || f.tcb.Err() != nil {
		t.Fatalf("done %v err %v", f.tcb.Done(), f.tcb.Err())
	}
}

func TestTimeWaitFinRetransmitRestarts2MSL(t *testing.T) {
	f := tcbTimeWait(t)
	f.advance(time.Minute - time.Second) // 1 s before the end
	f.send(seg{flags: fin | ack, seq: remoteISS + 1, ack: localISS + 2, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 2, ack: remoteISS + 2, win: testWindow})
	d, _ := f.tcb.Deadline()
	if d.Sub(f.now) != 2*DefaultMSL {
		t.Fatalf("TIME-WAIT restarted for %v, want %v", d.Sub(f.now), 2*DefaultMSL)
	}
	f.advance(time.Second)
	f.expectState(TimeWait)
	f.advance(2*DefaultMSL - time.Second)
	f.expectState(Closed)
}

// RFC 1337: an RST in TIME-WAIT is ignored.
func TestTimeWaitIgnoresRST(t *testing.T) {
	f := tcbTimeWait(t)
	f.send(seg{flags: rst, seq: remoteISS + 2})
	f.send(seg{flags: rst | ack, seq: remoteISS + 2, ack: localISS + 2})
	f.expectNothing()
	f.expectState(TimeWait)
}

func TestTimeWaitNewSYN(t *testing.T) {
	f := tcbTimeWait(t)
	// RFC 9293 / RFC 6191: a SYN beyond the final RCV.NXT may reopen.
	if v := f.send(seg{flags: syn, seq: remoteISS + 100000}); v != ReopenFromTimeWait {
		t.Fatalf("verdict %v, want ReopenFromTimeWait", v)
	}
	// An old one is treated per 3.10.7.4: unacceptable, so ACKed.
	if v := f.send(seg{flags: syn, seq: remoteISS - 10}); v != Handled {
		t.Fatalf("verdict %v for an old SYN", v)
	}
	f.expect(seg{flags: ack, seq: localISS + 2, ack: remoteISS + 2, win: testWindow})
	f.expectState(TimeWait)
}

func TestTimeWaitNewSYNWithTimestamps(t *testing.T) {
	f := tcbTimeWait(t)
	f.tcb.opts.tsOK = true
	f.tcb.opts.tsRecent = 5000
	// RFC 6191: with timestamps the TSval decides, not the sequence number.
	old := &seg{flags: syn, seq: remoteISS + 100000}
	old.opts = tsOpts(4000, 0)
	if v := f.send(*old); v != Handled {
		t.Fatalf("SYN with an old TSval reopened")
	}
	if v := f.send(seg{flags: syn, seq: remoteISS - 100, opts: tsOpts(6000, 0)}); v != ReopenFromTimeWait {
		t.Fatalf("SYN with a newer TSval: verdict %v", v)
	}
}

func TestFinWait1FinRetransmitted(t *testing.T) {
	f := tcbFinWait1(t)
	// The handshake measured an RTT of 0, so the RTO is the 200 ms floor.
	if got := f.advanceToDeadline(); got != DefaultMinRTO {
		t.Fatalf("FIN retransmitted after %v", got)
	}
	f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	if got := f.advanceToDeadline(); got != 2*DefaultMinRTO {
		t.Fatalf("second FIN retransmission after %v", got)
	}
	f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
}

func TestFinWait1FinAndAckTogetherToTimeWait(t *testing.T) {
	f := tcbFinWait1(t)
	f.send(seg{flags: fin | ack, seq: remoteISS + 1, ack: localISS + 2, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 2, ack: remoteISS + 2, win: testWindow})
	f.expectState(TimeWait)
}

func TestFinWait2ReceivesData(t *testing.T) {
	f := tcbFinWait2(t)
	f.send(seg{flags: ack | psh, seq: remoteISS + 1, ack: localISS + 2, win: testWindow, data: "late"})
	// Close() was called: data now is answered with RST (RFC 1122 4.2.2.13).
	f.expect(seg{flags: rst | ack, seq: localISS + 2, ack: remoteISS + 5})
	f.expectState(Closed)
}

func TestHalfCloseStillReceives(t *testing.T) {
	f := tcbEstablished(t)
	if err := f.tcb.CloseWrite(f.now); err != nil {
		t.Fatal(err)
	}
	f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
	if _, err := f.tcb.Send(f.now, []byte("x")); !errors.Is(err, ErrClosing) {
		t.Fatalf("Send after CloseWrite: %v", err)
	}
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 2, win: testWindow})
	f.expectState(FinWait2)
	f.send(seg{flags: ack | psh, seq: remoteISS + 1, ack: localISS + 2, win: testWindow, data: "more"})
	if got, err := f.read(); got != "more" || err != nil {
		t.Fatalf("read %q %v", got, err)
	}
	f.send(seg{flags: fin | ack, seq: remoteISS + 5, ack: localISS + 2, win: testWindow})
	// Reading 4 bytes does not move the right edge (receiver SWS
	// avoidance, RFC 9293 3.8.6.2.2): the window is 4 smaller.
	f.expect(seg{flags: ack, seq: localISS + 2, ack: remoteISS + 6, win: testWindow - 4})
	f.expectState(TimeWait)
	if _, err := f.read(); err != io.EOF {
		t.Fatalf("read err %v", err)
	}
}

func TestPassiveClose(t *testing.T) {
	f := tcbLastAck(t)
	f.send(seg{flags: ack, seq: remoteISS + 2, ack: localISS + 2, win: testWindow})
	f.expectState(Closed)
	f.expectNothing()
	if !f.tcb.Done() || f.tcb.Err() != nil {
		t.Fatalf("done %v err %v", f.tcb.Done(), f.tcb.Err())
	}
}

func TestCloseWaitStillSends(t *testing.T) {
	f := tcbCloseWait(t)
	f.write("reply")
	f.expect(seg{flags: ack | psh, seq: localISS + 1, ack: remoteISS + 2, win: testWindow, data: "reply"})
	f.tcb.Close(f.now)
	f.expect(seg{flags: fin | ack, seq: localISS + 6, ack: remoteISS + 2, win: testWindow})
	f.expectState(LastAck)
}

func TestSimultaneousClose(t *testing.T) {
	f := tcbClosing(t)
	f.send(seg{flags: ack, seq: remoteISS + 2, ack: localISS + 2, win: testWindow})
	f.expectState(TimeWait)
	f.expectNothing()
	f.advance(2 * DefaultMSL)
	f.expectState(Closed)
}

func TestClosingRetransmitsFin(t *testing.T) {
	f := tcbClosing(t)
	f.advanceToDeadline()
	f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 2, win: testWindow})
}

func TestLastAckRetransmitsFinThenGivesUp(t *testing.T) {
	cfg := baseConfig()
	cfg.DataRetries = 2
	f := tcbEstablished(t)
	f.tcb.cfg.DataRetries = 2
	f.send(seg{flags: fin | ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	f.expect(seg{flags: ack, seq: localISS + 1, ack: remoteISS + 2, win: testWindow})
	f.tcb.Close(f.now)
	f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 2, win: testWindow})
	for range 2 {
		f.advanceToDeadline()
		f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 2, win: testWindow})
	}
	f.advanceToDeadline()
	f.expectState(Closed)
	if !errors.Is(f.tcb.Err(), ErrTimedOut) {
		t.Fatalf("err %v", f.tcb.Err())
	}
}

func TestCloseWithUnreadDataSendsRST(t *testing.T) {
	f := tcbEstablished(t)
	f.send(seg{flags: ack | psh, seq: remoteISS + 1, ack: localISS + 1, win: testWindow, data: "unread"})
	f.poll()
	if err := f.tcb.Close(f.now); err != nil {
		t.Fatalf("Close: %v", err)
	}
	f.expect(seg{flags: rst | ack, seq: localISS + 1, ack: remoteISS + 7})
	f.expectState(Closed)
	if !errors.Is(f.tcb.Err(), ErrConnectionReset) {
		t.Fatalf("err %v", f.tcb.Err())
	}
}

func TestCloseInSynSentDeletesTCB(t *testing.T) {
	f := tcbSynSent(t, baseConfig())
	f.tcb.Close(f.now)
	f.expectNothing()
	f.expectState(Closed)
	if !f.tcb.Done() {
		t.Fatal("not done")
	}
}

func TestCloseInSynReceivedWaitsForEstablished(t *testing.T) {
	f := tcbSynReceived(t, baseConfig())
	f.tcb.Close(f.now)
	f.expectNothing()
	f.send(seg{flags: ack, seq: remoteISS + 1, ack: localISS + 1, win: testWindow})
	f.expectState(FinWait1)
	f.expect(seg{flags: fin | ack, seq: localISS + 1, ack: remoteISS + 1, win: testWindow})
}

func TestFinWait2TimesOutAfterClose(t *testing.T) {
	f := tcbFinWait2(t)
	f.advanceToDeadline()
	f.expectState(Closed)
}

func TestAbort(t *testing.T) {
	for _, s := range []State{SynReceived, Established, FinWait1, FinWait2, CloseWait} {
		f := tcbInState(t, s)
		nxt, _ := f.seqs()
		f.tcb.Abort(f.now)
		f.expect(seg{flags: rst, seq: nxt})
		f.expectState(Closed)
		if _, err := f.tcb.Send(f.now, []byte("x")); !errors.Is(err, ErrConnectionAborted) {
			t.Fatalf("%v: Send after Abort: %v", s, err)
		}
	}
	for _, s := range []State{SynSent, Closing, LastAck, TimeWait} {
		f := tcbInState(t, s)
		f.tcb.Abort(f.now)
		f.expectNothing()
		f.expectState(Closed)
	}
}
