package conformance

import (
	"github.com/tcpbed/tcpbed/harness"
)

// TIME-WAIT at a Linux end lasts Linux's fixed 60 s (TCP_TIMEWAIT_LEN) of
// real time, which harness/linux does not mirror onto the virtual clock (a
// scenario would wait a real minute). There the wait is replaced by an
// observation: the kernel's socket table (sock_diag) shows the connection
// in TIME-WAIT right after the close and all through the virtual 2MSL; that
// it then goes CLOSED is not waited for. The run's notes say so.

// timeWaitObservedOnly reports whether side is a Linux end, whose TIME-WAIT
// is observed rather than waited out, and notes it; or a lneto end, whose
// TIME-WAIT has no end to wait for (LnetoTimeWaitUntimed, accepted here).
func (e *Env) TimeWaitObservedOnly(side harness.Side) bool {
	if e.PeerKind(side) == Lneto {
		e.Deviates(LnetoTimeWaitUntimed)
		return true
	}
	if e.PeerKind(side) != Linux {
		return false
	}
	e.Observe("%s (linux): TIME-WAIT seen in the kernel's socket table through the virtual 2MSL; its end (Linux's fixed 60 s, on real time) not waited out", side)
	return true
}

// timeWaitUnfinished trims a state sequence that ends TIME-WAIT, CLOSED to
// end at TIME-WAIT when c's end is Linux and still holds it (see
// timeWaitObservedOnly).
func (e *Env) timeWaitUnfinished(c harness.Conn, want []harness.State) []harness.State {
	n := len(want)
	if n >= 2 && want[n-2] == harness.TimeWait && want[n-1] == harness.Closed && c.State() == harness.TimeWait && e.TimeWaitObservedOnly(e.Side(c)) {
		return want[:n-1]
	}
	return want
}

// expectClosedAfterTimeWait checks that c's end is CLOSED once its 2MSL
// has run, or, at a Linux end, still in TIME-WAIT (not waited out), or at
// an lwIP end CLOSED by the next slow-timer tick.
func (e *Env) ExpectClosedAfterTimeWait(c harness.Conn) {
	if e.TimeWaitObservedOnly(e.Side(c)) {
		e.ExpectState(c, harness.TimeWait)
		return
	}
	if e.LwIPTimeWaitEndsLate(c) {
		return
	}
	e.ExpectState(c, harness.Closed)
}

// linuxTimeWaitObserved is the RealTimeNote of every scenario that waits
// out a TIME-WAIT a Linux end may hold.
const LinuxTimeWaitObserved = "TIME-WAIT at a Linux end is seen in the kernel's socket table through the virtual 2MSL instead of waited out (Linux holds it a fixed 60 s of real time)"
