package tcp

import "time"

// keepaliveState is RFC 1122 4.2.3.6: off unless Config.KeepAlive; after
// KeepIdle with nothing heard, a probe every KeepInterval; after KeepCount
// unanswered probes the peer is declared dead (ErrTimedOut).
type keepaliveState struct {
	probes   int
	probeDue bool
}

// keepaliveStates are where a probe makes sense: the connection is
// synchronized and we are not ourselves waiting on the peer to ACK our FIN
// (those states have the retransmission timer).
func keepaliveStates(s State) bool {
	return s == Established || s == CloseWait || s == FinWait2
}

// heardFromPeer notes that an acceptable segment arrived: the peer is
// alive. It restarts the keep-alive idle time, and tells the persist timer
// that its last probe was answered.
func (t *TCB) heardFromPeer(now time.Time) {
	t.lastHeard = now
	t.keepalive.probes = 0
	if t.cfg.KeepAlive {
		t.arm(timerKeepalive, now.Add(t.cfg.KeepIdle))
	}
}

// keepaliveTimeout fires after KeepIdle, or KeepInterval after a probe.
func (t *TCB) keepaliveTimeout(now time.Time) {
	if !t.cfg.KeepAlive || !keepaliveStates(t.state) {
		return
	}
	k := &t.keepalive
	// Only an idle connection is probed: with data outstanding the
	// retransmission timer already watches the peer.
	if t.sndUna != t.sndMax {
		t.arm(timerKeepalive, now.Add(t.cfg.KeepIdle))
		return
	}
	if k.probes >= t.cfg.KeepCount {
		t.terminate(t.timeoutErr(), now)
		return
	}
	k.probes++
	k.probeDue = true
	t.arm(timerKeepalive, now.Add(t.cfg.KeepInterval))
}
