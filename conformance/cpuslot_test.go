package conformance_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
// what gives it back. A cell with Linux in it, or a machine where the lock
// files cannot be made, takes none.
func takeCPUSlot(p conformance.Pairing) (release func()) {
	if p.Client == conformance.Linux || p.Server == conformance.Linux {
		return func() {}
	}
	slots := runtime.NumCPU()
	files := make([]*os.File, slots)
	for i := range files {
		f, err := os.OpenFile(filepath.Join(os.TempDir(), fmt.Sprintf("tcpbed-cpu-slot-%d.lock", i)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			for _, f := range files[:i] {
				f.Close()
			}
			return func() {}
		}
		files[i] = f
	}
	for {
		for i, f := range files {
			if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
				for j, other := range files {
					if j != i {
						other.Close()
					}
				}
				return func() { f.Close() } // closing drops the lock
			}
		}
		time.Sleep(cpuSlotPoll)
	}
}
