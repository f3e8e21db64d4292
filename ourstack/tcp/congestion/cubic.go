package congestion

import (
	"math"
	"time"
)

// CUBIC (RFC 9438): after a loss the window grows as a cubic function of
// the time since, back towards the window it had before the loss (W_max)
// and then beyond, independently of the RTT; a Reno-friendly estimate
// keeps it at least as large as Reno's would be. Slow start, fast
// retransmit and fast recovery are NewReno's (RFC 9438 4.10, 4.6); the
// multiplicative decrease is β_cubic = 0.7 instead of 1/2.

const (
	// cubicC is RFC 9438 4.2's C: 0.4 segments per second cubed.
	cubicC = 0.4
	// cubicBeta is β_cubic (RFC 9438 4.6).
	cubicBeta = 0.7
	// cubicAlpha is α_cubic = 3 * (1 - β) / (1 + β) (RFC 9438 4.3): the
	// Reno-friendly estimate's additive increase per RTT, in segments,
	// that makes its average window Reno's.
	cubicAlpha = 3 * (1 - cubicBeta) / (1 + cubicBeta)
)

// Clocked is a Controller whose window grows with time, not only with
// ACKs (CUBIC). The TCB tells it the time and its smoothed RTT before each
// OnAck.
type Clocked interface {
	Controller
	Tick(now time.Time, srtt time.Duration)
}

// cubic is NewReno with CUBIC's decrease and congestion avoidance.
// Windows in this file are in segments (float64) as RFC 9438 writes them;
// the embedded newReno keeps cwnd and ssthresh in bytes.
type cubic struct {
	*newReno
	now  time.Time
	srtt time.Duration

	// wMax is W_max: the window just before the last reduction, lowered
	// by fast convergence (RFC 9438 4.7). prevWMax is the one before, for
	// Undo (RFC 9438 4.9).
	wMax, prevWMax float64
	// The current congestion-avoidance epoch (RFC 9438 4.2): when it began
	// (zero: none yet; the next ACK in congestion avoidance starts one), K,
	// the window the curve returns to (origin), the Reno-friendly estimate
	// W_est (4.3), and the window with its fractions (cw).
	epochStart time.Time
	k, origin  float64
	wEst, cw   float64
	// afterTimeout: the next epoch follows a retransmission timeout, where
	// K = 0 and W_max is the window the epoch starts from (RFC 9438 4.8).
	afterTimeout bool
}

// Cubic returns a CUBIC Controller whose SMSS is mss (DefaultMSS if not
// positive).
func Cubic(mss int) Controller {
	return &cubic{newReno: newNewReno(mss, cubicBeta)}
}

func (c *cubic) Name() string { return "cubic" }

// Tick sets the time and smoothed RTT the next OnAck grows the window by.
func (c *cubic) Tick(now time.Time, srtt time.Duration) { c.now, c.srtt = now, srtt }

// segs is bytes in segments.
func (c *cubic) segs(bytes int) float64 { return float64(bytes) / float64(c.mss) }

// wCubic is RFC 9438 figure 1: W_cubic(t) = C * (t - K)^3 + W_max, with the
// epoch's origin as W_max.
func (c *cubic) wCubic(t float64) float64 {
	d := t - c.k
	return cubicC*d*d*d + c.origin
}

// OnAck is slow start below ssthresh (NewReno's), else RFC 9438 4.2-4.5.
func (c *cubic) OnAck(acked int) {
	if acked <= 0 {
		return
	}
	if c.cwnd < c.ssthresh {
		c.newReno.OnAck(acked)
		return
	}
	c.untouched, c.timedOut, c.afterRTO = false, false, false
	cwnd := c.segs(c.cwnd)
	if c.epochStart.IsZero() {
		c.startEpoch(cwnd)
	}
	cur := max(c.cw, cwnd)
	t := c.now.Sub(c.epochStart).Seconds()
	// 4.3: the Reno-friendly estimate grows by α per window acknowledged;
	// "α_cubic SHOULD be set to 1 once W_est reaches W_max".
	alpha := cubicAlpha
	if c.wEst >= c.wMax {
		alpha = 1
	}
	c.wEst += alpha * c.segs(acked) / cur
	next := cur
	if c.wCubic(t) < c.wEst {
		next = c.wEst // 4.3: the Reno-friendly region
	} else {
		// 4.4, 4.5: towards W_cubic one RTT ahead, at most 1.5 x cwnd.
		target := min(max(c.wCubic(t+c.srtt.Seconds()), cur), 1.5*cur)
		next = cur + (target-cur)/cur*c.segs(acked)
	}
	c.cw = next
	c.cwnd = max(c.cwnd, int(next*float64(c.mss)))
}

// startEpoch begins congestion avoidance from a window of cwnd segments
// (RFC 9438 4.2: K = cubic_root((W_max - cwnd_epoch) / C); above W_max, or
// after a timeout (4.8), the curve starts at the window itself: K = 0).
func (c *cubic) startEpoch(cwnd float64) {
	c.epochStart = c.now
	c.cw, c.wEst = cwnd, cwnd
	if c.afterTimeout || c.wMax <= cwnd {
		if c.afterTimeout {
			c.wMax = cwnd
		}
		c.k, c.origin = 0, cwnd
	} else {
		c.k, c.origin = math.Cbrt((c.wMax-cwnd)/cubicC), c.wMax
	}
	c.afterTimeout = false
}

// OnEnterRecovery is RFC 9438 4.6 and 4.7: W_max is the window at the loss
// (fast convergence: less, (1 + β) / 2 of it, when the window had not
// regained the last W_max), ssthresh = max(FlightSize * β_cubic, 2*SMSS),
// and the recovery itself is NewReno's.
func (c *cubic) OnEnterRecovery(flightSize int) {
	c.reduceWMax()
	c.newReno.OnEnterRecovery(flightSize)
}

// OnRetransmitTimeout is RFC 9438 4.8: Reno's loss window, ssthresh with
// β_cubic, and K = 0 from the window the next epoch starts at.
func (c *cubic) OnRetransmitTimeout(flightSize int) {
	if !c.timedOut {
		c.reduceWMax()
	}
	c.afterTimeout = true
	c.newReno.OnRetransmitTimeout(flightSize)
}

func (c *cubic) reduceWMax() {
	c.prevWMax = c.wMax
	cwnd := c.segs(c.cwnd)
	if cwnd < c.wMax {
		c.wMax = cwnd * (1 + cubicBeta) / 2
	} else {
		c.wMax = cwnd
	}
	c.epochStart = time.Time{}
}

// Undo is RFC 9438 4.9: a spurious congestion event restores W_max from
// before it, and the window and ssthresh as NewReno's Undo does.
func (c *cubic) Undo(cwnd, ssthresh int) {
	c.wMax = c.prevWMax
	c.afterTimeout = false
	c.epochStart = time.Time{}
	c.newReno.Undo(cwnd, ssthresh)
}

// OnIdle restarts the window (RFC 5681 4.1) and the epoch: the time the
// connection sat idle is not time to grow in.
func (c *cubic) OnIdle() {
	c.epochStart = time.Time{}
	c.newReno.OnIdle()
}
