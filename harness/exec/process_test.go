package exec

import (
	"errors"
	"os"
	"testing"
	"time"
)

// A stack that says nothing while a child of its own holds its standard
// output open: the read still ends at its deadline, with the whole group
// killed, not when the child exits.
func TestAReadEndsAtItsDeadlineWhileAChildHoldsThePipe(t *testing.T) {
	p, err := startProcess([]string{"sh", "-c", "sleep 30 & sleep 30"}, nil)
	if err != nil {
		t.Skipf("no sh here: %v", err)
	}
	start := time.Now()
	_, err = p.next(time.Now().Add(200 * time.Millisecond))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the read took %v, want about its 200 ms", took)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read: %v, want %v", err, os.ErrDeadlineExceeded)
	}
	p.close(time.Second)
}

// A request sent once the watchdog has fired fails at once.
func TestNothingIsSentPastTheDeadline(t *testing.T) {
	p, err := startProcess([]string{"sh", "-c", "sleep 30"}, nil)
	if err != nil {
		t.Skipf("no sh here: %v", err)
	}
	defer p.close(time.Second)
	if _, err := p.next(time.Now().Add(50 * time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v, want %v", err, os.ErrDeadlineExceeded)
	}
	if err := p.send([]byte{0, 0, 0, 1, 1}, time.Now().Add(time.Minute)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("send after the deadline: %v, want %v", err, os.ErrDeadlineExceeded)
	}
}
