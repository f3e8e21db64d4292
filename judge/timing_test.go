package judge

import (
	"testing"
	"time"
)

func TestOnTime(t *testing.T) {
	for _, tc := range []struct {
		got, want time.Duration
		on        bool
	}{
		{time.Second, time.Second, true},
		{time.Second + 8*time.Nanosecond, time.Second, true},
		{time.Second - 8*time.Nanosecond, time.Second, true},
		{time.Second + time.Millisecond, time.Second, false},
		{time.Second - time.Millisecond, time.Second, false},
	} {
		if got := OnTime(tc.got, tc.want); got != tc.on {
			t.Errorf("OnTime(%v, %v) = %v, want %v", tc.got, tc.want, got, tc.on)
		}
	}
}

func TestOnTick(t *testing.T) {
	const tick = 500 * time.Millisecond
	for _, tc := range []struct {
		got, want, tick time.Duration
		on              bool
	}{
		{time.Minute, time.Minute, tick, true},
		{time.Minute + 499*time.Millisecond, time.Minute, tick, true},
		{time.Minute + tick, time.Minute, tick, true},
		{time.Minute + tick + time.Millisecond, time.Minute, tick, false},
		{time.Minute - time.Millisecond, time.Minute, tick, false}, // a tick never fires a timer early
		{time.Minute + time.Millisecond, time.Minute, 0, false},    // no tick: OnTime
	} {
		if got := OnTick(tc.got, tc.want, tc.tick); got != tc.on {
			t.Errorf("OnTick(%v, %v, %v) = %v, want %v", tc.got, tc.want, tc.tick, got, tc.on)
		}
	}
}
