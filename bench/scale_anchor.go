package bench

import (
	"fmt"
	"io"
	"net"
	"runtime"
)

// RawScale is the scale workload over gVisor on its own (the gvisor-raw
// anchor): count connections between two gVisor stacks outside the
// harness, dialled and accepted one after another and all kept open, then
// ScaleEcho bytes echoed on each, then all closed. It returns the live
// heap (after a collection) once every echo is done and every buffer read
// empty, with every connection open: what gVisor alone holds for count
// connections, against which the harness's scale figures can be read.
func RawScale(count int) (ScaleCost, error) {
	goroutines := runtime.NumGoroutine()
	m := startMeter()
	n, err := NewRawGVisorNet(1500, ConnRateMSL)
	if err != nil {
		return ScaleCost{}, err
	}
	l, err := n.Listen()
	if err != nil {
		n.Close()
		return ScaleCost{}, err
	}
	cs, ss := make([]net.Conn, 0, count), make([]net.Conn, 0, count)
	closeAll := func() {
		for _, c := range append(cs, ss...) {
			c.Close()
		}
		l.Close()
		n.Close()
	}
	for range count {
		c, s, err := Pair(l, n.Dial)
		if err != nil {
			closeAll()
			return ScaleCost{}, fmt.Errorf("gvisor-raw: connection %d: %w", len(cs), err)
		}
		cs, ss = append(cs, c), append(ss, s)
	}
	buf := make([]byte, ScaleEcho)
	for i := range cs {
		if err := echo(cs[i], ss[i], buf); err != nil {
			closeAll()
			return ScaleCost{}, fmt.Errorf("gvisor-raw: echo on connection %d: %w", i, err)
		}
	}
	runtime.GC()
	var peak heapPeak
	live, _ := peak.read()
	closeAll()
	cost := ScaleCost{Cost: m.Stop(), PeakHeap: live, PeakBeyondBuffers: live}
	cost.Goroutines = settledGoroutines(goroutines) - goroutines
	return cost, nil
}

// echo writes len(buf) bytes on c, reads them at s and writes them back,
// and reads them again at c.
func echo(c, s net.Conn, buf []byte) error {
	if _, err := c.Write(pattern[:len(buf)]); err != nil {
		return err
	}
	if _, err := io.ReadFull(s, buf); err != nil {
		return err
	}
	if _, err := s.Write(buf); err != nil {
		return err
	}
	_, err := io.ReadFull(c, buf)
	return err
}
