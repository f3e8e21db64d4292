package bench

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used so far, user and system,
// on every thread: both stacks' goroutines, the harness's and the garbage
// collector's. On a machine other work keeps busy, a workload's CPU time
// moves far less than its real time, so the benchmarks report both.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Cost is what a workload took: real time and CPU time.
type Cost struct {
	Real, CPU time.Duration
}

// Add sums two costs.
func (c Cost) Add(d Cost) Cost { return Cost{c.Real + d.Real, c.CPU + d.CPU} }

// meter measures a Cost from its creation to Stop.
type meter struct {
	start    time.Time
	startCPU time.Duration
}

func startMeter() meter { return meter{time.Now(), processCPU()} }

func (m meter) Stop() Cost { return Cost{time.Since(m.start), processCPU() - m.startCPU} }
