package tcp

import (
	"io"
	"time"
)

// Send is SEND (RFC 9293 3.10.2): it copies as much of p as the send buffer
// has room for and returns how much it took. It returns an error once the
// connection can no longer send (after CloseWrite or Close: ErrClosing;
// after reset or abort: the error that ended it).
//
// In SYN-SENT and SYN-RECEIVED the data is queued "for transmission after
// entering ESTABLISHED state".
func (t *TCB) Send(now time.Time, p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if t.finQueued {
		return 0, ErrClosing
	}
	switch t.state {
	case SynSent, SynReceived, Established, CloseWait:
	default:
		return 0, ErrNotConnected
	}
	// The limit, not the ring's size, bounds what is buffered: a limit
	// lowered by SetSendBuffer leaves a larger ring behind.
	p = p[:min(len(p), max(t.sendBufferFree(), 0))]
	if len(p) == 0 {
		return 0, nil
	}
	return t.ensureSendBuffer(len(p)).Write(p), nil
}

// Receive is RECEIVE (RFC 9293 3.10.3): it copies in-order received data
// into p. It returns (0, nil) when nothing is ready yet, io.EOF once the
// peer's FIN has been reached, and the connection's error after a reset or
// abort.
func (t *TCB) Receive(now time.Time, p []byte) (int, error) {
	r := &t.recv
	if r.buf.Len() > 0 {
		if len(p) == 0 {
			return 0, nil
		}
		n := r.buf.Read(p)
		if t.state.Synchronized() && t.state != TimeWait && t.windowUpdateDue() {
			t.ackNow = true // the window opened enough to tell the peer
		}
		return n, nil
	}
	if r.finReceived {
		return 0, io.EOF
	}
	if t.err != nil {
		return 0, t.err
	}
	if t.state == Closed {
		return 0, ErrNotConnected
	}
	return 0, nil
}

// CloseWrite is a half-close: queue a FIN after the data already sent
// (RFC 9293 3.10.4 for the sending direction). ESTABLISHED goes to
// FIN-WAIT-1 and CLOSE-WAIT to LAST-ACK at once, with the FIN leaving once
// the data before it has; in SYN-SENT and SYN-RECEIVED the FIN waits for
// ESTABLISHED.
func (t *TCB) CloseWrite(now time.Time) error {
	if t.err != nil {
		return t.err
	}
	if t.finQueued {
		return nil
	}
	switch t.state {
	case SynSent, SynReceived, Established, CloseWait:
	default:
		return ErrNotConnected
	}
	t.snd.finSeq = t.dataEnd()
	t.finQueued = true
	switch t.state {
	case Established:
		t.setState(FinWait1, now)
	case CloseWait:
		t.setState(LastAck, now)
	}
	return nil
}

// Close is CLOSE (RFC 9293 3.10.4): CloseWrite, and the application will not
// read any more. If unread data is waiting, the TCB aborts with an RST
// instead (RFC 1122 4.2.2.13, RFC 2525 2.17); so does data that arrives
// afterwards. Close itself returns nil in every state: the connection is
// the application's to drop.
//
// In SYN-SENT, "delete the TCB"; in SYN-RECEIVED and the synchronized
// states, a FIN is queued; in states already closing, nothing more is
// needed.
func (t *TCB) Close(now time.Time) error {
	r := &t.recv
	if r.readClosed {
		return nil
	}
	r.readClosed = true
	switch t.state {
	case Closed, Listen:
		return nil
	case SynSent:
		t.terminate(nil, now)
		return nil
	}
	if t.state == TimeWait {
		// Both FINs are acknowledged: nothing unread can matter to the
		// peer any more, and the 2MSL wait must run its course.
		r.flush()
		return nil
	}
	if r.buf.Len() > 0 || r.ooo != nil && r.ooo.Bytes() > 0 {
		// Unread data: reset rather than pretend a graceful close.
		t.queueRST(t.ackSeq(), t.rcvNxt, true)
		t.terminate(ErrConnectionReset, now)
		return nil
	}
	if err := t.CloseWrite(now); err != nil {
		return nil
	}
	if t.state == FinWait2 {
		// Already half-closed and acknowledged: the peer's FIN may never
		// come; do not wait forever (see timerFinWait2).
		t.arm(timerFinWait2, now.Add(2*t.cfg.MSL))
	}
	return nil
}

// Abort is ABORT (RFC 9293 3.10.5): send RST if synchronized, go to CLOSED.
// In SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 and CLOSE-WAIT a
// reset <SEQ=SND.NXT><CTL=RST> goes out; in CLOSING, LAST-ACK and
// TIME-WAIT the TCB is just deleted. Later Send and Receive calls report
// ErrConnectionAborted.
func (t *TCB) Abort(now time.Time) {
	switch t.state {
	case SynReceived, Established, FinWait1, FinWait2, CloseWait:
		t.queueRST(t.ackSeq(), 0, false)
	case Closed:
		return
	}
	t.recv.finReceived = false
	t.terminate(ErrConnectionAborted, now)
}

// Readable reports whether Receive would return something other than (0, nil).
func (t *TCB) Readable() bool {
	return t.recv.buf.Len() > 0 || t.recv.finReceived || t.err != nil || t.state == Closed
}

// Writable reports whether Send would take at least one byte or return an error.
func (t *TCB) Writable() bool {
	if t.err != nil || t.finQueued {
		return true
	}
	switch t.state {
	case SynSent, SynReceived, Established, CloseWait:
		return t.sendBufferFree() > 0
	}
	return true
}

// SetNoDelay turns Nagle's algorithm (RFC 9293 3.7.4) off (true) or on on a
// live connection, as TCP_NODELAY does (RFC 9293 3.7.4: "a TCP SHOULD
// implement a way for an application to disable the Nagle algorithm on an
// individual connection"). Turning it off lets the next Poll send a short
// segment Nagle was holding back, as Linux pushes pending data when
// TCP_NODELAY is set.
func (t *TCB) SetNoDelay(noDelay bool) { t.cfg.NoDelay = noDelay }

// NoDelay reports whether Nagle's algorithm is off.
func (t *TCB) NoDelay() bool { return t.cfg.NoDelay }
