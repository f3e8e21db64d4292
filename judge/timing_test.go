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
