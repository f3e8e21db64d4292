package bench

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// The scale workload (issue 18): count connections open at once between two
// stacks over the harness, 4 KiB echoed on each, then all closed. Every
// phase acts on all the connections, then runs the Net until the last is
// done, so the harness carries count connections at every step.

// scalePairings are the scale workload's two directions: ourstack
// listening with gVisor dialling, then gVisor listening.
var scalePairings = []Pairing{{Client: GVisor, Server: Ours}, {Client: Ours, Server: GVisor}}

// ScaleEcho is how many bytes each connection of the scale workload echoes.
const ScaleEcho = 4 << 10

// ScaleConfig is the harness configuration of the scale workload for
// pairing p and count connections: every listener's backlog takes them
// all, the default link, a bounded trace, and no limit on the packets one
// instant or one silent end may see (count SYNs, then count echoes, leave
// at one instant).
func ScaleConfig(p Pairing, count int) harness.Config {
	cfg := NetConfig(p, harness.DefaultMTU, harness.DefaultLink, StackOptions{Backlog: count})
	cfg.MaxPacketsUnheard = 1 << 30
	cfg.TraceLimit = TraceLimit
	return cfg
}

// ScaleCost is what the scale workload took.
type ScaleCost struct {
	Cost
	// PeakHeap is the largest live heap (bytes, as the garbage collector
	// last marked it) seen during the run.
	PeakHeap uint64
	// PeakBeyondBuffers is the measure: the largest live heap less
	// the bytes the two stacks' socket buffers hold at that moment
	// (scaleRun.buffered), bytes. Both are taken at collections the
	// workload forces every heapSampleEvery bytes it allocates (heapPeak),
	// so that the heap and the bytes buffered are of one instant.
	PeakBeyondBuffers uint64
	// Goroutines is how many more goroutines there were after Net.Close
	// than before NewNet.
	Goroutines int
}

// Scale builds a Net from cfg and runs the scale workload over it with
// count connections: dial them all, accept them all, echo ScaleEcho bytes
// on each (the client writes, the server reads and writes back, the client
// reads), the clients close, each server reads the end and closes, and the
// run goes on until every client end is in TIME-WAIT or CLOSED and every
// server end CLOSED. Then it closes the Net.
func Scale(cfg harness.Config, count int) (ScaleCost, error) {
	goroutines := runtime.NumGoroutine()
	var peak heapPeak
	// Every collection of the run is one heapPeak forces (see there).
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	peak.sample(func() int { return 0 })
	m := startMeter()
	n, err := harness.NewNet(cfg)
	if err != nil {
		return ScaleCost{}, err
	}
	w := &scaleRun{n: n, peak: &peak, c: make([]harness.Conn, 0, count), s: make([]harness.Conn, 0, count)}
	err = w.run(count)
	if cerr := n.Close(); err == nil {
		err = cerr
	}
	cost := ScaleCost{Cost: m.Stop()}
	cost.PeakHeap, cost.PeakBeyondBuffers = peak.max, peak.beyond
	cost.Goroutines = settledGoroutines(goroutines) - goroutines
	return cost, err
}

// scaleRun is one run of the scale workload: the two ends of every
// connection, index by index.
type scaleRun struct {
	n    *harness.Net
	peak *heapPeak
	c, s []harness.Conn
	// The echo's progress: each client has written ScaleEcho bytes once
	// written is set; server i has read, and written back, echoed[i];
	// client i has read back got[i].
	written     bool
	echoed, got []int
}

// buffered is how many bytes the two stacks' socket buffers hold: for
// each end, the bytes written that its peer has not acknowledged and the
// bytes received that it has not read, as the stack reports them. Called
// with the Net settled.
func (w *scaleRun) buffered() int {
	if !w.written {
		return 0 // and the server ends may not be paired up yet
	}
	total := 0
	for i := range w.c {
		total += directionBuffered(w.c[i], w.s[i], ScaleEcho, w.echoed[i])
		total += directionBuffered(w.s[i], w.c[i], w.echoed[i], w.got[i])
	}
	return total
}

// directionBuffered is what one direction of a connection holds in the
// socket buffers: the bytes the sender has not had acknowledged and the
// bytes the receiver has not read. wrote and read are what the sending
// application wrote and the receiving one read. A stack that does not
// report what it has not had acknowledged is taken to hold what the other
// end has not received, read or not: no fewer bytes can be
// unacknowledged. (gVisor reports it, through its TCP probe. Until it
// did, its send queue counted as nothing once the receiver held the
// bytes: 39 MiB of ours->gvisor's peak over 10,000 connections, its
// echoes received and not yet acknowledged.)
func directionBuffered(sender, receiver harness.Conn, wrote, read int) int {
	unread, err := harness.Unread(receiver)
	if err != nil {
		unread = 0
	}
	unacked, err := harness.Unacknowledged(sender)
	if err != nil {
		unacked = max(wrote-read-unread, 0)
	}
	return unacked + unread
}

func (w *scaleRun) run(count int) error {
	n := w.n
	l, err := n.Server().Listen(benchPort)
	if err != nil {
		return err
	}
	if err := n.Settle(); err != nil {
		return err
	}
	raddr := netip.AddrPortFrom(n.Addr(harness.Server), benchPort)
	for i := range count {
		c, err := n.Client().Dial(raddr)
		if err != nil {
			return fmt.Errorf("dial %d: %w", i, err)
		}
		w.c = append(w.c, c)
	}
	if err := w.until("accept every connection", func() (bool, error) {
		for len(w.s) < count {
			s, err := l.Accept()
			if errors.Is(err, harness.ErrWouldBlock) {
				return false, nil
			}
			if err != nil {
				return false, fmt.Errorf("accept %d: %w", len(w.s), err)
			}
			w.s = append(w.s, s)
		}
		return true, nil
	}); err != nil {
		return err
	}
	// The server's accepted ends in the order of the client ends they
	// belong to, so that index i is one connection.
	if err := w.pairUp(); err != nil {
		return err
	}
	if err := w.echo(); err != nil {
		return err
	}
	for i, c := range w.c {
		if err := c.Close(); err != nil {
			return fmt.Errorf("client %d close: %w", i, err)
		}
	}
	buf := make([]byte, 16)
	if err := w.each("every server end reads the end and closes", func(i int) (bool, error) {
		k, err := w.s[i].Read(buf)
		switch {
		case errors.Is(err, harness.ErrWouldBlock):
			return false, nil
		case errors.Is(err, io.EOF):
			return true, w.s[i].Close()
		case err != nil:
			return false, err
		}
		return false, fmt.Errorf("%d bytes after the echo", k)
	}); err != nil {
		return err
	}
	return w.each("both ends closed", func(i int) (bool, error) {
		cs := w.c[i].State()
		return (cs == harness.TimeWait || cs == harness.Closed) && w.s[i].State() == harness.Closed, nil
	})
}

// pairUp orders w.s as w.c: the server end of client end i at i.
func (w *scaleRun) pairUp() error {
	at := make(map[harness.FourTuple]int, len(w.c))
	for i, c := range w.c {
		at[c.ID().Reverse()] = i
	}
	ordered := make([]harness.Conn, len(w.s))
	for _, s := range w.s {
		i, ok := at[s.ID()]
		if !ok || ordered[i] != nil {
			return fmt.Errorf("accepted %v, which no client end dialled", s.ID())
		}
		ordered[i] = s
	}
	w.s = ordered
	return nil
}

// echo has every client write ScaleEcho bytes of the pattern, every server
// read them and write them back, and every client read them back, checking
// each byte.
func (w *scaleRun) echo() error {
	count := len(w.c)
	w.echoed, w.got = make([]int, count), make([]int, count)
	echoed, got := w.echoed, w.got
	buf := make([]byte, ScaleEcho)
	for i, c := range w.c {
		if k, err := c.Write(pattern[:ScaleEcho]); k != ScaleEcho {
			return fmt.Errorf("client %d write took %d of %d bytes: %v", i, k, ScaleEcho, err)
		}
	}
	w.written = true
	// A connection's steps wait on one another only through the wire, so
	// each side is walked in index order, stopping at the first end that
	// cannot move yet: a check of the condition costs what moved since the
	// last.
	server, client := 0, 0
	return w.until("echo on every connection", func() (bool, error) {
		for ; server < count; server++ {
			s := w.s[server]
			k, err := s.Read(buf[:ScaleEcho-echoed[server]])
			if k > 0 {
				if err := checkPattern(buf[:k], echoed[server]); err != nil {
					return false, fmt.Errorf("server %d: %w", server, err)
				}
				if wk, err := s.Write(buf[:k]); wk != k {
					return false, fmt.Errorf("server %d echo took %d of %d bytes: %v", server, wk, k, err)
				}
				echoed[server] += k
			}
			if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
				return false, fmt.Errorf("server %d read: %w", server, err)
			}
			if echoed[server] < ScaleEcho {
				break
			}
		}
		for ; client < count; client++ {
			k, err := w.c[client].Read(buf[:ScaleEcho-got[client]])
			if k > 0 {
				if err := checkPattern(buf[:k], got[client]); err != nil {
					return false, fmt.Errorf("client %d: %w", client, err)
				}
				got[client] += k
			}
			if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
				return false, fmt.Errorf("client %d read: %w", client, err)
			}
			if got[client] < ScaleEcho {
				break
			}
		}
		return client == count, nil
	})
}

// each runs the Net until step has reported done for every connection, in
// index order: it stops at the first that is not done yet, so that each
// check of the condition costs what moved since the last.
func (w *scaleRun) each(what string, step func(i int) (bool, error)) error {
	next := 0
	return w.until(what, func() (bool, error) {
		for ; next < len(w.c); next++ {
			done, err := step(next)
			if err != nil {
				return false, fmt.Errorf("connection %d: %w", next, err)
			}
			if !done {
				return false, nil
			}
		}
		return true, nil
	})
}

// until runs the Net until cond holds or fails, sampling the heap.
func (w *scaleRun) until(what string, cond func() (bool, error)) error {
	var cerr error
	err := w.n.RunUntil(what, 10*time.Minute, func() bool {
		w.peak.sample(w.buffered)
		done, err := cond()
		cerr = err
		return done || err != nil
	})
	if cerr != nil {
		return fmt.Errorf("%s: %w", what, cerr)
	}
	return err
}

// heapPeak is the largest live heap seen, and the largest less the bytes
// the socket buffers held.
//
// The run's collections are all forced here, one every heapSampleEvery
// bytes the process allocates, with the runtime's own turned off (Scale).
// When the runtime chose them, at each doubling of the heap, a run of
// half a gigabyte of allocations saw a handful, and the figure was the
// heap at whichever instants they fell on: the same run gave 150 to 194
// MiB, and GOGC moved it by 45 MiB. Allocation is the same from run to run,
// so the instants are too.
type heapPeak struct {
	max, beyond uint64
	next        uint64 // the bytes allocated at which the next sample falls
	samples     [2]metrics.Sample
}

// heapSampleEvery is how many bytes the workload allocates between two
// samples: about thirty over the scale run of 10,000 connections.
const heapSampleEvery = 16 << 20

// read is the live heap as the last collection marked it, and how many
// bytes the process has allocated.
func (h *heapPeak) read() (live, allocated uint64) {
	h.samples[0].Name = "/gc/heap/live:bytes"
	h.samples[1].Name = "/gc/heap/allocs:bytes"
	metrics.Read(h.samples[:])
	if v := h.samples[0].Value; v.Kind() == metrics.KindUint64 {
		live = v.Uint64()
	}
	if v := h.samples[1].Value; v.Kind() == metrics.KindUint64 {
		allocated = v.Uint64()
	}
	return live, allocated
}

// sample collects, and notes the live heap and the heap beyond buffered()
// read at the same instant, once heapSampleEvery bytes were allocated
// since the last sample; the first call always samples.
func (h *heapPeak) sample(buffered func() int) {
	if _, allocated := h.read(); h.next != 0 && allocated < h.next {
		return
	}
	runtime.GC()
	live, allocated := h.read()
	h.next = allocated + heapSampleEvery
	h.max = max(h.max, live)
	if b := uint64(buffered()); live > b {
		h.beyond = max(h.beyond, live-b)
	}
}

// settledGoroutines is the goroutine count once it has come down to want
// or a second has passed: a goroutine that has been told to end may take a
// moment to be gone.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(time.Second)
	for {
		k := runtime.NumGoroutine()
		if k <= want || time.Now().After(deadline) {
			return k
		}
		time.Sleep(time.Millisecond)
	}
}
