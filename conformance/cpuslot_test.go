package conformance_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcpbed/tcpbed/conformance"
)

// The matrix runs two processes per core (make conformance). A cell with
// Linux in it spends most of its time waiting for Linux's timers, on real
// time: those cells take two thirds of the matrix's time and little CPU.
// Every other cell keeps a core busy from start to end. So every other
// cell first takes one of a core count of CPU slots, shared by every
// process of the machine that runs cells (lock files): while the Linux
// cells wait, the other cells have the cores, one each, and never crowd
// each other. A Linux cell takes no slot.

// cpuSlotPoll is how often a cell that found every slot taken tries
// again. It decides nothing about TCP: it only orders cells.
const cpuSlotPoll = time.Millisecond

// takeCPUSlot waits for a CPU slot for a cell of pairing p, and returns
// what gives it back. A cell with Linux in it takes none.
func takeCPUSlot(p conformance.Pairing) (release func()) {
	if p.Client == conformance.Linux || p.Server == conformance.Linux {
		return func() {}
	}
	return takeSlot(os.TempDir(), runtime.NumCPU())
}

// takeSlot waits for one of n slots, lock files in dir, and returns what
// gives it back. Where the lock files cannot be made or locked there are
// no slots: it takes none.
func takeSlot(dir string, n int) (release func()) {
	files := make([]*os.File, n)
	closeAll := func(keep int) {
		for i, f := range files {
			if f != nil && i != keep {
				f.Close()
			}
		}
	}
	for i := range files {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("tcpbed-cpu-slot-%d.lock", i)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			closeAll(-1)
			return func() {}
		}
		files[i] = f
	}
	for {
		for i, f := range files {
			switch err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); {
			case err == nil:
				closeAll(i)
				return func() { f.Close() } // closing drops the lock
			case err != unix.EWOULDBLOCK:
				// A file system with no locks: no slots either.
				closeAll(-1)
				return func() {}
			}
		}
		time.Sleep(cpuSlotPoll)
	}
}

// The busy cells take a slot each, as many as there are slots; one more
// waits until a slot is given back; a Linux cell takes none. The slots are
// the test's own (a directory of its own): on the machine's, this test
// waited on the cells of any matrix running beside it, and two copies of
// it (two test processes) each held a slot the other wanted, for ever.
func TestCPUSlotsBoundTheBusyCells(t *testing.T) {
	dir := t.TempDir()
	const slots = 3
	var held []func()
	for range slots {
		held = append(held, takeSlot(dir, slots))
	}
	got := make(chan func(), 1)
	go func() { got <- takeSlot(dir, slots) }()
	select {
	case release := <-got:
		release()
		t.Fatalf("a cell got a slot with all %d taken", len(held))
	case <-time.After(50 * time.Millisecond):
	}
	takeCPUSlot(conformance.Pairing{Client: conformance.Linux, Server: conformance.Ours})() // at once
	held[0]()
	(<-got)()
	for _, release := range held[1:] {
		release()
	}
}
