package congestion

import (
	"errors"
	"testing"
)

func TestInitialWindow(t *testing.T) {
	// RFC 6928 section 2: IW = min (10*MSS, max (2*MSS, 14600)).
	for _, c := range []struct{ mss, iw int }{
		{536, 5360},
		{1000, 10000},
		{1460, 14600},
		{4000, 14600}, // 10*4000 = 40000 > 14600 >= 8000
		{9000, 18000}, // 2*MSS wins
	} {
		if got := InitialWindow(c.mss); got != c.iw {
			t.Errorf("InitialWindow(%d) = %d, want %d", c.mss, got, c.iw)
		}
	}
}

// Each step names the event, then the cwnd and ssthresh expected after it,
// computed by hand from the RFC text quoted in newreno.go. SMSS = 1000.
type event struct {
	name     string
	do       func(Controller)
	cwnd     int
	ssthresh int
}

func ack(n int) func(Controller)        { return func(c Controller) { c.OnAck(n) } }
func enter(flight int) func(Controller) { return func(c Controller) { c.OnEnterRecovery(flight) } }
func dup() func(Controller)             { return func(c Controller) { c.OnDupAckInRecovery() } }
func partial(n int) func(Controller)    { return func(c Controller) { c.OnPartialAck(n) } }
func exit() func(Controller)            { return func(c Controller) { c.OnExitRecovery() } }
func timeout(flight int) func(Controller) {
	return func(c Controller) { c.OnRetransmitTimeout(flight) }
}
func idle() func(Controller) { return func(c Controller) { c.OnIdle() } }

const big = InitialSsthresh

func TestNewReno(t *testing.T) {
	cases := []struct {
		name   string
		events []event
	}{
		{"slow start with ABC L=2*SMSS", []event{
			{"1 SMSS acked", ack(1000), 11000, big},
			{"3 SMSS in one ACK: only L=2 SMSS counts", ack(3000), 13000, big},
			{"half a segment", ack(500), 13500, big},
			{"nothing acked", ack(0), 13500, big},
		}},
		{"fast retransmit and NewReno recovery", []event{
			// eq. 4: ssthresh = max(13000/2, 2000) = 6500; cwnd = 6500 + 3*1000.
			{"third dup ACK", enter(13000), 9500, 6500},
			{"4th dup ACK inflates", dup(), 10500, 6500},
			{"5th dup ACK inflates", dup(), 11500, 6500},
			// 11500 - 2500 + 1000 (at least one SMSS acked).
			{"partial ACK of 2500", partial(2500), 10000, 6500},
			// 10000 - 500, less than an SMSS: nothing added back.
			{"partial ACK of 500", partial(500), 9500, 6500},
			// Exactly one SMSS acked: deflate by 1000, add 1000 back.
			{"partial ACK of one SMSS", partial(1000), 9500, 6500},
			{"full ACK", exit(), 6500, 6500},
			// Congestion avoidance: bytes_acked reaches cwnd on the 7th ACK.
			{"CA ack 1", ack(1000), 6500, 6500},
			{"CA ack 2", ack(1000), 6500, 6500},
			{"CA ack 3", ack(1000), 6500, 6500},
			{"CA ack 4", ack(1000), 6500, 6500},
			{"CA ack 5", ack(1000), 6500, 6500},
			{"CA ack 6", ack(1000), 6500, 6500},
			{"CA ack 7: bytes_acked 7000 >= 6500", ack(1000), 7500, 6500},
			// bytes_acked carries 500; 7000 more reach 7500.
			{"CA big ack", ack(7000), 8500, 6500},
			{"CA a huge ack still adds one SMSS", ack(100000), 9500, 6500},
		}},
		{"equation 4 floor of 2*SMSS", []event{
			{"small flight", enter(3000), 5000, 2000},
			{"partial ACK larger than cwnd leaves one SMSS", partial(50000), 1000, 2000},
		}},
		{"retransmission timeout", []event{
			{"grow a little", ack(2000), 12000, big},
			// ssthresh = max(12000/2, 2000); cwnd = LW = 1 SMSS.
			{"RTO", timeout(12000), 1000, 6000},
			// Backed-off timer fires again for the same data: ssthresh held.
			{"second RTO", timeout(1000), 1000, 6000},
			// Slow start after an RTO: L = 1 SMSS (RFC 3465 2.3).
			{"ack after RTO, L=1 SMSS", ack(3000), 2000, 6000},
			// New data was acked, so this is a new loss: eq. 4 again.
			{"RTO after progress", timeout(2000), 1000, 2000},
		}},
		{"idle restart", []event{
			{"grow", ack(2000), 12000, big},
			{"idle: RW = min(IW, cwnd)", idle(), 10000, big},
			{"RTO", timeout(4000), 1000, 2000},
			{"idle below IW keeps cwnd", idle(), 1000, 2000},
			// OnIdle ends the post-RTO slow start: L is 2 SMSS again.
			{"slow start", ack(3000), 3000, 2000},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cc := NewReno(1000)
			if cc.Cwnd() != 10000 || cc.Ssthresh() != big {
				t.Fatalf("initial cwnd=%d ssthresh=%d, want 10000 %d", cc.Cwnd(), cc.Ssthresh(), big)
			}
			for _, e := range c.events {
				e.do(cc)
				if cc.Cwnd() != e.cwnd || cc.Ssthresh() != e.ssthresh {
					t.Fatalf("%s: cwnd=%d ssthresh=%d, want %d %d", e.name, cc.Cwnd(), cc.Ssthresh(), e.cwnd, e.ssthresh)
				}
			}
		})
	}
}

func TestSetMSS(t *testing.T) {
	cc := NewReno(0)
	if cc.Cwnd() != InitialWindow(DefaultMSS) {
		t.Errorf("NewReno(0) cwnd=%d, want IW for %d", cc.Cwnd(), DefaultMSS)
	}
	cc.SetMSS(1460) // the handshake settled the MSS: IW follows
	if cc.Cwnd() != 14600 {
		t.Errorf("after SetMSS(1460) cwnd=%d, want 14600", cc.Cwnd())
	}
	cc.OnAck(1460)
	cc.SetMSS(1000) // later changes leave cwnd alone but change SMSS
	if cc.Cwnd() != 16060 {
		t.Errorf("SetMSS after an ACK moved cwnd to %d", cc.Cwnd())
	}
	cc.OnRetransmitTimeout(0)
	if cc.Cwnd() != 1000 || cc.Ssthresh() != 2000 {
		t.Errorf("RTO with SMSS 1000: cwnd=%d ssthresh=%d, want 1000 2000", cc.Cwnd(), cc.Ssthresh())
	}
	cc.SetMSS(-5)
	cc.OnRetransmitTimeout(0)
	if cc.Cwnd() != 1000 {
		t.Errorf("SetMSS(-5) was not ignored: cwnd=%d", cc.Cwnd())
	}
}

func TestRegistry(t *testing.T) {
	for _, name := range []string{"newreno", ""} {
		cc, err := New(name, 1460)
		if err != nil || cc.Name() != "newreno" || cc.Cwnd() != 14600 {
			t.Errorf("New(%q): %v, %v", name, cc, err)
		}
	}
	if cc, err := New("cubic", 1460); err != nil || cc.Name() != "cubic" || cc.Cwnd() != 14600 {
		t.Errorf("New(cubic): %v, %v", cc, err)
	}
	_, err := New("vegas", 1460)
	if !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("New(vegas) error %v, want ErrUnknownAlgorithm", err)
	}
	Register("fixed-test", func(mss int) Controller { return NewReno(2 * mss) })
	cc, err := New("fixed-test", 1000)
	if err != nil || cc.Cwnd() != InitialWindow(2000) {
		t.Errorf("registered algorithm: %v %v", cc, err)
	}
	if names := Names(); len(names) != 3 || names[0] != "cubic" || names[1] != "fixed-test" || names[2] != "newreno" {
		t.Errorf("Names() = %v", names)
	}
}

// Undo puts back the window a spurious recovery cut, and never lowers one
// that has grown past it since.
func TestNewRenoUndo(t *testing.T) {
	r := NewReno(1000)
	for range 20 {
		r.OnAck(1000)
	}
	cwnd, ssthresh := r.Cwnd(), r.Ssthresh()
	r.OnEnterRecovery(cwnd)
	r.OnExitRecovery()
	if r.Cwnd() >= cwnd {
		t.Fatalf("recovery left cwnd at %d", r.Cwnd())
	}
	r.Undo(cwnd, ssthresh)
	if r.Cwnd() != cwnd || r.Ssthresh() != ssthresh {
		t.Fatalf("after Undo cwnd %d ssthresh %d, want %d and %d", r.Cwnd(), r.Ssthresh(), cwnd, ssthresh)
	}
	r.Undo(1000, 2000)
	if r.Cwnd() != cwnd || r.Ssthresh() != ssthresh {
		t.Fatalf("Undo to smaller values lowered the window: cwnd %d ssthresh %d", r.Cwnd(), r.Ssthresh())
	}
}
