package conformance

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

// Helpers shared by the closing half of the catalogue: half-close,
// simultaneous close, TIME-WAIT, RST and keepalive.

// SentBy expects a packet sent by side.
func SentBy(side harness.Side, checks ...harness.SegCheck) Seg {
	if side == harness.Client {
		return C2S(checks...)
	}
	return S2C(checks...)
}

// expectEachDirection drains the wire, then checks that the packets each
// end sent since mark are exactly c2s and s2c, each list in order. The two
// directions are checked apart because their interleaving is not what the
// scenario is about (two FINs crossing: which is recorded first depends only
// on which end the harness let act first).
func (e *Env) ExpectEachDirection(mark int, c2s, s2c []Seg) {
	e.Drain()
	for _, d := range []struct {
		dir  harness.Dir
		want []Seg
	}{{harness.ClientToServer, c2s}, {harness.ServerToClient, s2c}} {
		var got []*harness.Record
		for _, r := range e.Since(mark) {
			if r.Dir == d.dir {
				got = append(got, r)
			}
		}
		problem := ""
		for i, want := range d.want {
			if i >= len(got) {
				problem = fmt.Sprintf("packet %d %s missing", i+1, d.dir)
				break
			}
			if err := harness.CheckRecord(got[i], want...); err != nil {
				problem = fmt.Sprintf("packet %d %s (#%d): %v", i+1, d.dir, got[i].Index, err)
				break
			}
		}
		if problem == "" && len(got) > len(d.want) {
			problem = fmt.Sprintf("%d more packet(s) %s than expected", len(got)-len(d.want), d.dir)
		}
		if problem != "" {
			e.lnetoSentUnaskedFIN(e.Since(mark))
			e.Fail(DescribeSegs(fmt.Sprintf("exactly these packets %s since #%d", d.dir, mark), d.want),
				problem+"\n"+DescribeRecords(e.Since(mark)))
		}
	}
}

// expectTimeWaitLasts2MSL checks RFC 9293 3.10.7.4 (TIME-WAIT) for the
// ends of conns: each stays in TIME-WAIT until 2MSL after it entered it or,
// if a FIN arrived again in TIME-WAIT, 2MSL after the last such FIN
// ("Acknowledge it, and restart the 2 MSL timeout"), and goes CLOSED
// exactly then. It runs the Net until the last of them is CLOSED and
// returns, for each, when its final 2MSL period began.
func (e *Env) ExpectTimeWaitLasts2MSL(conns ...harness.Conn) (starts []time.Duration) {
	type wait struct {
		c            harness.Conn
		side         harness.Side
		entered, end time.Duration
		done         bool
		lwipLate     bool // an lwIP end still in TIME-WAIT at 2MSL: looked at again a slow tick later
	}
	ws := make([]*wait, len(conns))
	for i, c := range conns {
		side := e.Side(c)
		if !slices.Contains(e.Net.States(side, c.ID()), harness.TimeWait) {
			e.WaitFor(side.String()+" to enter TIME-WAIT", func() bool { return c.State() == harness.TimeWait })
		}
		entered := e.EnteredAt(c, harness.TimeWait)
		ws[i] = &wait{c: c, side: side, entered: entered, end: entered + 2*e.MSL}
	}
	for {
		next := time.Duration(-1)
		for _, w := range ws {
			if w.done {
				continue
			}
			// A FIN that arrived in TIME-WAIT restarts the timer.
			if restart := e.lastTimeWaitRestart(w.side, w.c.ID(), w.entered); restart+2*e.MSL > w.end {
				w.end = restart + 2*e.MSL
			}
			if next < 0 || w.end < next {
				next = w.end
			}
		}
		if next < 0 {
			break
		}
		// Just before the earliest end, every end not yet due is still in
		// TIME-WAIT; then time moves on to it.
		e.AdvanceTo(next - time.Millisecond)
		progressed := false
		for _, w := range ws {
			if w.done {
				continue
			}
			if restart := e.lastTimeWaitRestart(w.side, w.c.ID(), w.entered); restart+2*e.MSL > w.end {
				progressed = true // a FIN came meanwhile: look again
				continue
			}
			if e.LwIPTimeWaitEndedEarly(w.c, w.end) {
				w.done = true
				continue
			}
			if st := w.c.State(); st == harness.Closed && e.PeerKind(w.side) == Lneto {
				e.Deviates(LnetoTimeWaitUntimed) // an accepted connection leaves TIME-WAIT at once
				w.done = true
			} else if st != harness.TimeWait {
				e.Fatalf(fmt.Sprintf("%s in TIME-WAIT until %v (2MSL after %v)", w.side, w.end, w.end-2*e.MSL),
					"%s went %v at %v", w.side, st, e.LastChangeAt(w.c))
			}
		}
		if progressed {
			continue
		}
		e.AdvanceTo(next + judge.TimerSlack)
		for _, w := range ws {
			if w.done || w.end != next {
				continue
			}
			if !w.lwipLate && e.PeerKind(w.side) == LwIP && w.c.State() == harness.TimeWait {
				// lwIP ends TIME-WAIT on its next slow-timer tick: the
				// check just before the new end accepts it CLOSED by then
				w.lwipLate, w.end = true, w.end+LwIPSlowTick
				continue
			}
			w.done = true
			if e.TimeWaitObservedOnly(w.side) {
				if st := w.c.State(); st != harness.TimeWait {
					e.Fatalf(fmt.Sprintf("%s (linux) in TIME-WAIT at %v, 2MSL after %v (Linux holds it 60 s of real time)", w.side, w.end, w.end-2*e.MSL), "%s in %v", w.side, st)
				}
				continue
			}
			if st := w.c.State(); st != harness.Closed {
				e.Fatalf(fmt.Sprintf("%s CLOSED at %v, 2MSL after %v", w.side, w.end, w.end-2*e.MSL), "%s in %v", w.side, st)
			}
			if at := e.EnteredAt(w.c, harness.Closed); !judge.OnTime(at, w.end) {
				e.Fatalf(fmt.Sprintf("%s CLOSED at %v, 2MSL after %v", w.side, w.end, w.end-2*e.MSL), "%s CLOSED at %v", w.side, at)
			}
		}
	}
	for _, w := range ws {
		start := w.end - 2*e.MSL
		if w.lwipLate {
			start -= LwIPSlowTick
		}
		starts = append(starts, start)
	}
	return starts
}

// expectStreamWithoutHoles checks side's data since mark on a wire that
// lost nothing: every segment starts at or below the highest sequence number
// sent before it (no hole; the first at relative 1), none reaches past end,
// and the highest reaches end. A stack may still send some data twice (a
// tail-loss probe, RFC 8985 7, fires before the ACK that makes it needless
// arrives); the run notes it.
func (e *Env) ExpectStreamWithoutHoles(mark int, side harness.Side, end uint32) {
	dir := harness.ClientToServer
	if side == harness.Server {
		dir = harness.ServerToClient
	}
	recs := e.Since(mark)
	high := uint32(1)
	for _, r := range DataRecords(recs, dir) {
		segEnd := r.RelSeq + uint32(r.PayloadLen)
		if Rel(high).LessThan(Rel(r.RelSeq)) || Rel(end).LessThan(Rel(segEnd)) {
			e.Fatalf(fmt.Sprintf("%s data within [1, %d) with no hole", side, end),
				"#%d covers [%d, %d) when %d was the highest sent", r.Index, r.RelSeq, segEnd, high)
		}
		if Rel(high).LessThan(Rel(segEnd)) {
			high = segEnd
		}
	}
	if high != end {
		e.Fatalf(fmt.Sprintf("%s data up to %d", side, end), "up to %d", high)
	}
	if again := Retransmissions(recs, dir); len(again) > 0 {
		e.Observe("%s sent %d data segment(s) again on a lossless wire (first #%d, a tail-loss probe or RACK)", side, len(again), again[0].Index)
	}
}

// lastTimeWaitRestart is when the stay in TIME-WAIT that side's end of id
// began at entered last had to restart, by the judge's rule
// (judge.TimeWaitStay.Restarts).
func (e *Env) lastTimeWaitRestart(side harness.Side, id harness.FourTuple, entered time.Duration) time.Duration {
	t := e.Net.Trace()
	for _, stay := range judge.TimeWaitStays(t) {
		if stay.Side == side && stay.ID == id && stay.Entered == entered {
			last, _ := stay.Restarts(t, e.Net.Now()+1, judge.EveryFINRestarts)
			return last
		}
	}
	return entered
}

// lastChangeAt is when c's end last changed state.
func (e *Env) LastChangeAt(c harness.Conn) time.Duration {
	h := e.Net.History(e.Side(c), c.ID())
	if len(h) == 0 {
		return 0
	}
	return h[len(h)-1].At
}

// sentBy is every record since mark that side sent.
func (e *Env) SentBy(mark int, side harness.Side) []*harness.Record {
	var out []*harness.Record
	for _, r := range e.Since(mark) {
		if r.Dir.From() == side {
			out = append(out, r)
		}
	}
	return out
}

// expectReset checks that a Read (then a Write) on c report the reset that
// ended the connection. RFC 9293 3.10.7.4, RST in ESTABLISHED and the
// other synchronized states: "any outstanding RECEIVEs and SEND should
// receive "reset" responses"; the first call after the reset reports it.
// A later call on a connection that no longer exists may instead report
// "connection does not exist" (RFC 9293 3.10.2, SEND in CLOSED), so Write
// must fail, with the reset or another error.
func (e *Env) ExpectReset(c harness.Conn) {
	who := e.Side(c).String()
	buf := make([]byte, 64)
	var rerr error
	e.WaitFor(who+" Read to report the reset", func() bool {
		_, rerr = c.Read(buf)
		return !errors.Is(rerr, harness.ErrWouldBlock)
	})
	if !errors.Is(rerr, syscall.ECONNRESET) && !e.LnetoResetUnreported(c, rerr) {
		e.Fatalf(who+" Read to return connection reset (ECONNRESET)", "Read returned %v", rerr)
	}
	_, werr := c.Write([]byte("after the reset"))
	if werr == nil || errors.Is(werr, harness.ErrWouldBlock) {
		e.Fatalf(who+" Write after the reset to fail", "Write returned %v", werr)
	}
	e.Observe("%s (%s) Write after the reset Read: %v", who, e.PeerKind(e.Side(c)), werr)
}

// peerKind is the stack kind at side.
// timerOnTime reports whether a timer of side's stack fired at got, for
// want: to the tick on virtual time, to judge.RealTimeSlack for a stack
// whose timers run on real time (OnRealTime: Linux, an exec stack on real
// time).
func (e *Env) TimerOnTime(side harness.Side, got, want time.Duration) bool {
	if e.OnRealTime(side) {
		return judge.Within(got, want, judge.RealTimeSlack)
	}
	return judge.OnTime(got, want)
}

func (e *Env) PeerKind(side harness.Side) string {
	if side == harness.Client {
		return e.Pairing.Client
	}
	return e.Pairing.Server
}
