package rtt

import (
	"testing"
	"time"
)

const ms = time.Millisecond

// The expected values below were computed by hand from the formulas of RFC
// 6298 sections 2.2 and 2.3 (alpha = 1/8, beta = 1/4, K = 4, G = 1 ms), with
// K*RTTVAR floored at the minimum RTO as Linux floors it.
func TestSampleSequence(t *testing.T) {
	type step struct {
		sample            time.Duration
		srtt, rttvar, rto time.Duration
	}
	cases := []struct {
		name              string
		initial, min, max time.Duration
		steps             []step
	}{
		{
			name: "first sample then two more", initial: time.Second, min: 200 * ms, max: 60 * time.Second,
			steps: []step{
				// 2.2: SRTT=R, RTTVAR=R/2, RTO=100+4*50.
				{100 * ms, 100 * ms, 50 * ms, 300 * ms},
				// 2.3: RTTVAR=3/4*50+1/4*|100-200|=62.5, SRTT=7/8*100+1/8*200=112.5, RTO=112.5+250.
				{200 * ms, 112500 * time.Microsecond, 62500 * time.Microsecond, 362500 * time.Microsecond},
				// RTTVAR=3/4*62.5+1/4*12.5=50, SRTT=7/8*112.5+1/8*100=110.9375, RTO=+200.
				{100 * ms, 110937500 * time.Nanosecond, 50 * ms, 310937500 * time.Nanosecond},
			},
		},
		{
			// 4*5 ms is below the 200 ms floor: RTO = 10 + 200.
			name: "the minimum floors K*RTTVAR", initial: time.Second, min: 200 * ms, max: 60 * time.Second,
			steps: []step{{10 * ms, 10 * ms, 5 * ms, 210 * ms}},
		},
		{
			name: "RFC 6298 one-second minimum", initial: time.Second, min: time.Second, max: 60 * time.Second,
			steps: []step{{100 * ms, 100 * ms, 50 * ms, 1100 * ms}},
		},
		{
			name: "G floors K*RTTVAR", initial: time.Second, min: 0, max: 60 * time.Second,
			steps: []step{
				{0, 0, 0, 1 * ms},
				// RTTVAR = 3/4*0 + 1/4*100us = 25us; 4*25us < G; SRTT = 12.5us.
				{100 * time.Microsecond, 12500 * time.Nanosecond, 25 * time.Microsecond, 1012500 * time.Nanosecond},
			},
		},
		{
			name: "2.5 maximum applies", initial: time.Second, min: 200 * ms, max: 60 * time.Second,
			steps: []step{{30 * time.Second, 30 * time.Second, 15 * time.Second, 60 * time.Second}},
		},
		{
			name: "negative sample ignored", initial: time.Second, min: 200 * ms, max: 60 * time.Second,
			steps: []step{{100 * ms, 100 * ms, 50 * ms, 300 * ms}, {-5 * ms, 100 * ms, 50 * ms, 300 * ms}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(c.initial, c.min, c.max)
			if e.HasSample() || e.RTO() != c.initial {
				t.Fatalf("before any sample: HasSample=%v RTO=%v, want false %v", e.HasSample(), e.RTO(), c.initial)
			}
			for i, s := range c.steps {
				e.Sample(s.sample)
				if !e.HasSample() {
					t.Errorf("step %d: HasSample false after Sample(%v)", i, s.sample)
				}
				if e.SRTT() != s.srtt || e.RTTVar() != s.rttvar || e.RTO() != s.rto {
					t.Errorf("step %d Sample(%v): SRTT=%v RTTVAR=%v RTO=%v, want %v %v %v",
						i, s.sample, e.SRTT(), e.RTTVar(), e.RTO(), s.srtt, s.rttvar, s.rto)
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	e := New(time.Second, 200*ms, 60*time.Second)
	// Before any sample the initial RTO backs off: RFC 6298 5.5 and 5.7.
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, 60 * time.Second, 60 * time.Second}
	for i, w := range want {
		e.Backoff()
		if e.RTO() != w {
			t.Fatalf("after %d backoffs RTO=%v, want %v", i+1, e.RTO(), w)
		}
	}
	if e.Backoffs() != len(want) {
		t.Errorf("Backoffs()=%d, want %d", e.Backoffs(), len(want))
	}
	e.ResetBackoff()
	if e.RTO() != time.Second || e.Backoffs() != 0 {
		t.Errorf("after ResetBackoff RTO=%v backoffs=%d, want 1s 0", e.RTO(), e.Backoffs())
	}

	e.Sample(100 * ms) // RTO 300 ms
	e.Backoff()
	e.Backoff()
	if e.RTO() != 1200*ms {
		t.Fatalf("300ms backed off twice = %v, want 1.2s", e.RTO())
	}
	// A valid sample replaces the backed-off RTO (Karn, RFC 6298 section 5).
	e.Sample(100 * ms) // RTTVAR = 37.5 ms (4x is below the floor), SRTT 100 ms: RTO = 300 ms
	if e.RTO() != 300*ms || e.Backoffs() != 0 {
		t.Errorf("after sample RTO=%v backoffs=%d, want 300ms 0", e.RTO(), e.Backoffs())
	}
}

func TestNewClampsNonsense(t *testing.T) {
	e := New(10*time.Second, 2*time.Second, time.Second) // max < min
	if e.RTO() != 2*time.Second {
		t.Errorf("RTO=%v, want the 2s floor", e.RTO())
	}
	e.Backoff()
	if e.RTO() != 2*time.Second {
		t.Errorf("backoff past max=min: RTO=%v, want 2s", e.RTO())
	}
	e = New(time.Millisecond, 200*ms, time.Minute)
	if e.RTO() != 200*ms {
		t.Errorf("initial below min: RTO=%v, want 200ms", e.RTO())
	}
}

func TestAfterSYNTimeout(t *testing.T) {
	cases := []struct {
		name    string
		initial time.Duration
		sample  time.Duration // 0: none
		want    time.Duration
	}{
		{"1s initial RTO rises to 3s", time.Second, 0, 3 * time.Second},
		{"an initial RTO above 3s stays", 5 * time.Second, 0, 5 * time.Second},
		{"a measured RTO stays", time.Second, 100 * ms, 300 * ms},
	}
	for _, c := range cases {
		e := New(c.initial, 200*ms, 60*time.Second)
		if c.sample > 0 {
			e.Sample(c.sample)
		}
		e.Backoff() // the SYN timed out
		e.AfterSYNTimeout()
		if e.RTO() != c.want || e.Backoffs() != 0 {
			t.Errorf("%s: RTO=%v backoffs=%d, want %v 0", c.name, e.RTO(), e.Backoffs(), c.want)
		}
	}
}
