package tcp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Two TCBs wired to each other directly: a tiny event loop moves each one's
// Poll output into the other's HandleSegment after a link delay, dropping,
// delaying (so reordering) and duplicating segments by a seeded source, and
// runs timers on virtual time. It checks end to end what the per-state
// tests check piece by piece.

type linkFaults struct {
	drop, reorder, duplicate float64
}

type inFlight struct {
	at  time.Time
	seq int // tie-breaker: FIFO among equal times
	to  int // 0: client, 1: server
	seg wire.Segment
}

type pair struct {
	t      *testing.T
	now    time.Time
	cfg    [2]Config
	tcb    [2]*TCB
	rng    *rand.Rand
	faults linkFaults
	delay  time.Duration
	queue  []inFlight
	nseq   int

	serverISS seqnum.Value

	sent     [2]uint64
	received [2]bytes.Buffer
	eof      [2]bool
	// states records each side's state transitions.
	states [2][]State
}

func newPair(t *testing.T, seed uint64, cfgClient, cfgServer Config, faults linkFaults) *pair {
	// The client's ISS is near the wrap on purpose.
	return newPairISS(t, seed, cfgClient, cfgServer, faults, 0xfffff000, 0x7ffffff0)
}

func newPairISS(t *testing.T, seed uint64, cfgClient, cfgServer Config, faults linkFaults, clientISS, serverISS seqnum.Value) *pair {
	p := &pair{t: t, now: epoch, cfg: [2]Config{cfgClient, cfgServer}, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)),
		faults: faults, delay: 10 * time.Millisecond, serverISS: serverISS}
	clientID := FourTuple{LocalAddr: peerIP, LocalPort: remotePort, RemoteAddr: localIP, RemotePort: localPort}
	p.tcb[0] = Open(cfgClient, clientID, clientISS, p.now)
	p.noteStates()
	return p
}

func (p *pair) noteStates() {
	for i, c := range p.tcb {
		if c == nil {
			continue
		}
		if n := len(p.states[i]); n == 0 || p.states[i][n-1] != c.State() {
			p.states[i] = append(p.states[i], c.State())
		}
	}
}

// pollAll moves every TCB's output onto the link.
func (p *pair) pollAll() {
	for i := range p.tcb {
		p.pollOne(i)
	}
}

func (p *pair) pollOne(i int) {
	c := p.tcb[i]
	if c == nil {
		return
	}
	c.Poll(p.now, func(s *wire.Segment) {
		p.sent[i]++
		p.transmit(1-i, s)
	})
}

// traceLoop prints every segment the loop carries (for debugging a seed).
var traceLoop bool

func (p *pair) transmit(to int, s *wire.Segment) {
	drop := p.rng.Float64() < p.faults.drop
	if traceLoop {
		fmt.Printf("%v %d>%d [%v] seq %d ack %d win %d len %d sack %v drop %v\n", p.now.Sub(epoch), 1-to, to, s.Flags, s.Seq, s.Ack, s.Window, len(s.Payload), s.Options.SACKBlocks[:s.Options.NumSACKBlocks], drop)
	}
	if drop {
		return
	}
	copies := 1
	if p.rng.Float64() < p.faults.duplicate {
		copies = 2
	}
	for range copies {
		c := *s
		c.Payload = append([]byte(nil), s.Payload...)
		d := p.delay
		if p.rng.Float64() < p.faults.reorder {
			d += time.Duration(p.rng.IntN(30)) * time.Millisecond
		}
		p.nseq++
		p.queue = append(p.queue, inFlight{at: p.now.Add(d), seq: p.nseq, to: to, seg: c})
	}
}

func (p *pair) deliver(f inFlight) {
	if p.tcb[f.to] == nil {
		if !f.seg.Flags.Has(wire.FlagSYN) || f.seg.Flags.Has(wire.FlagACK) {
			return
		}
		serverID := FourTuple{LocalAddr: localIP, LocalPort: localPort, RemoteAddr: peerIP, RemotePort: remotePort}
		p.tcb[f.to] = OpenPassive(p.cfg[1], serverID, &f.seg, p.serverISS, p.now)
		return
	}
	p.tcb[f.to].HandleSegment(p.now, &f.seg)
}

// step advances to the next event (a delivery or a timer) and handles it.
// It reports false when nothing is left to happen.
func (p *pair) step() bool {
	p.pollAll()
	next, ok := time.Time{}, false
	for _, f := range p.queue {
		if !ok || f.at.Before(next) {
			next, ok = f.at, true
		}
	}
	for _, c := range p.tcb {
		if c == nil {
			continue
		}
		if d, armed := c.Deadline(); armed && (!ok || d.Before(next)) {
			next, ok = d, true
		}
	}
	if !ok {
		return false
	}
	if next.After(p.now) {
		p.now = next
	}
	sort.SliceStable(p.queue, func(i, j int) bool {
		if !p.queue[i].at.Equal(p.queue[j].at) {
			return p.queue[i].at.Before(p.queue[j].at)
		}
		return p.queue[i].seq < p.queue[j].seq
	})
	n := 0
	for n < len(p.queue) && !p.queue[n].at.After(p.now) {
		n++
	}
	due := append([]inFlight(nil), p.queue[:n]...)
	p.queue = p.queue[n:]
	for _, f := range due {
		p.deliver(f)
		p.noteStates()
		// The Stack polls after every segment it delivers (DeliverPacket
		// sends the replies before it returns).
		p.pollOne(f.to)
	}
	for _, c := range p.tcb {
		if c != nil {
			c.HandleTimers(p.now)
		}
	}
	p.noteStates()
	return true
}

// readAll drains side i's receive buffer.
func (p *pair) readAll(i int) {
	c := p.tcb[i]
	if c == nil {
		return
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Receive(p.now, buf)
		p.received[i].Write(buf[:n])
		if err == io.EOF {
			p.eof[i] = true
			return
		}
		if err != nil {
			p.t.Fatalf("side %d Receive: %v (state %v)", i, err, c.State())
		}
		if n == 0 {
			return
		}
	}
}

// transfer sends data from side `from` to the other, reading as it comes,
// then closes both ends and runs until both are done. It returns the virtual
// time the transfer took.
func (p *pair) transfer(from int, data []byte, maxSteps int) time.Duration {
	p.t.Helper()
	start := p.now
	off := 0
	closed := [2]bool{}
	for step := 0; ; step++ {
		if step > maxSteps {
			p.t.Fatalf("no progress after %d steps: sent %d of %d, received %d; states %v / %v; at %v",
				maxSteps, off, len(data), p.received[1-from].Len(), stateOf(p.tcb[0]), stateOf(p.tcb[1]), p.now.Sub(start))
		}
		if s := p.tcb[from]; s != nil && s.State().Synchronized() && off < len(data) {
			n, err := s.Send(p.now, data[off:])
			if err != nil {
				p.t.Fatalf("Send: %v", err)
			}
			off += n
		}
		if off == len(data) && !closed[from] && p.tcb[from].State().Synchronized() {
			p.tcb[from].CloseWrite(p.now)
			closed[from] = true
		}
		p.readAll(0)
		p.readAll(1)
		to := 1 - from
		if p.eof[to] && !closed[to] {
			p.tcb[to].Close(p.now)
			closed[to] = true
		}
		if p.eof[from] && closed[from] {
			p.tcb[from].Close(p.now)
		}
		if p.tcb[0] != nil && p.tcb[1] != nil && p.tcb[0].Done() && p.tcb[1].Done() {
			break
		}
		if !p.step() {
			break
		}
	}
	return p.now.Sub(start)
}

func stateOf(c *TCB) State {
	if c == nil {
		return Closed
	}
	return c.State()
}

func testData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func checkTransfer(t *testing.T, p *pair, from int, data []byte) {
	t.Helper()
	got := p.received[1-from].Bytes()
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("received %d bytes, want %d; digests differ", len(got), len(data))
	}
	for i, c := range p.tcb {
		if c.State() != Closed || c.Err() != nil {
			t.Fatalf("side %d ended in %v with %v; states %v", i, c.State(), c.Err(), p.states[i])
		}
	}
}

func fullConfig() Config {
	return Config{} // every extension on, defaults everywhere
}

func TestLoopBulkLossless(t *testing.T) {
	data := testData(1<<20, 1)
	p := newPair(t, 1, fullConfig(), fullConfig(), linkFaults{})
	took := p.transfer(0, data, 200000)
	checkTransfer(t, p, 0, data)
	// The client closes first and ends in TIME-WAIT, then CLOSED.
	if s := p.states[0]; s[len(s)-2] != TimeWait {
		t.Fatalf("client states %v", s)
	}
	if s := p.states[1]; s[len(s)-2] != LastAck {
		t.Fatalf("server states %v", s)
	}
	retrans := p.tcb[0].Stats().Retransmits
	if retrans != 0 {
		t.Fatalf("%d retransmissions on a lossless link", retrans)
	}
	t.Logf("1 MiB lossless in %v virtual (incl. 2MSL), %d segments", took, p.sent[0])
}

func TestLoopBulkLossy(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"sack+ts+ws", fullConfig()},
		{"newreno-no-options", Config{NoSACK: true, NoTimestamps: true, NoWindowScale: true}},
		{"sack-only", Config{NoTimestamps: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				data := testData(1<<20, seed)
				p := newPair(t, seed, c.cfg, c.cfg, linkFaults{drop: 0.05, reorder: 0.05, duplicate: 0.02})
				took := p.transfer(0, data, 2000000)
				checkTransfer(t, p, 0, data)
				st := p.tcb[0].Stats()
				t.Logf("seed %d: %v virtual, retransmits %d, dupacks %d", seed, took, st.Retransmits, st.DupACKs)
			}
		})
	}
}

func TestLoopBothDirectionsAndSimultaneousClose(t *testing.T) {
	p := newPair(t, 7, fullConfig(), fullConfig(), linkFaults{})
	for p.tcb[1] == nil || p.tcb[0].State() != Established || p.tcb[1].State() != Established {
		if !p.step() {
			t.Fatal("handshake stalled")
		}
	}
	p.tcb[0].Send(p.now, []byte("ping"))
	p.tcb[1].Send(p.now, []byte("pong"))
	for range 20 {
		p.step()
	}
	p.readAll(0)
	p.readAll(1)
	if p.received[0].String() != "pong" || p.received[1].String() != "ping" {
		t.Fatalf("got %q / %q", p.received[0].String(), p.received[1].String())
	}
	// Both close at the same instant: FIN-WAIT-1 -> CLOSING -> TIME-WAIT.
	p.tcb[0].Close(p.now)
	p.tcb[1].Close(p.now)
	p.noteStates()
	for p.step() {
	}
	for i := range 2 {
		want := []State{Established, FinWait1, Closing, TimeWait, Closed}
		got := p.states[i][len(p.states[i])-len(want):]
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("side %d states %v, want ...%v", i, p.states[i], want)
			}
		}
	}
}

func TestLoopAbortResetsPeer(t *testing.T) {
	p := newPair(t, 9, fullConfig(), fullConfig(), linkFaults{})
	for p.tcb[1] == nil || p.tcb[1].State() != Established {
		p.step()
	}
	p.tcb[0].Abort(p.now)
	for p.step() {
	}
	if _, err := p.tcb[1].Receive(p.now, make([]byte, 10)); !errors.Is(err, ErrConnectionReset) {
		t.Fatalf("peer Receive after abort: %v", err)
	}
}

// Sequence numbers anywhere in the space, both directions, wrap included.
func TestLoopISSAnywhere(t *testing.T) {
	isss := []seqnum.Value{0, 1, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0xfffe0000}
	for i, c := range isss {
		s := isss[(i+3)%len(isss)]
		data := testData(200<<10, uint64(i))
		p := newPairISS(t, uint64(i), fullConfig(), Config{NoTimestamps: true}, linkFaults{drop: 0.03, reorder: 0.03}, c, s)
		p.transfer(i%2, data, 1000000)
		checkTransfer(t, p, i%2, data)
	}
}

// Both ends send at once, read at a random pace (so windows close and
// open), and close in a random order and manner, over a lossy, reordering,
// duplicating link. Every byte must arrive once, in order, and both ends
// must finish.
func TestLoopRandomBidirectional(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ { // 3000 pass; 30 keep it fast
		rng := rand.New(rand.NewPCG(seed, 99))
		cfg := func() Config {
			c := Config{SendBuffer: 8<<10 + rng.IntN(64<<10), ReceiveBuffer: 4<<10 + rng.IntN(64<<10),
				NoSACK: rng.IntN(2) == 0, NoTimestamps: rng.IntN(2) == 0, NoWindowScale: rng.IntN(2) == 0,
				NoDelay: rng.IntN(2) == 0, MSS: uint16(200 + rng.IntN(1300))}
			return c
		}
		faults := linkFaults{drop: rng.Float64() * 0.08, reorder: rng.Float64() * 0.08, duplicate: rng.Float64() * 0.03}
		p := newPairISS(t, seed, cfg(), cfg(), faults, seqnum.Value(rng.Uint32()), seqnum.Value(rng.Uint32()))
		var data [2][]byte
		for i := range data {
			data[i] = testData(rng.IntN(200<<10), seed*10+uint64(i))
		}
		var off [2]int
		var closed [2]bool
		buf := make([]byte, 4096)
		for step := 0; ; step++ {
			if step > 500000 {
				t.Fatalf("seed %d: stuck: states %v %v, sent %v of %d/%d, received %d/%d", seed, stateOf(p.tcb[0]), stateOf(p.tcb[1]),
					off, len(data[0]), len(data[1]), p.received[1].Len(), p.received[0].Len())
			}
			for i := range 2 {
				c := p.tcb[i]
				if c == nil {
					continue
				}
				if !c.State().Synchronized() && c.State() != SynSent {
					// Nothing more to write; reading goes on below.
				} else if off[i] < len(data[i]) {
					n, err := c.Send(p.now, data[i][off[i]:min(len(data[i]), off[i]+rng.IntN(8000)+1)])
					if err != nil {
						t.Fatalf("seed %d side %d Send: %v", seed, i, err)
					}
					off[i] += n
				} else if !closed[i] {
					c.CloseWrite(p.now)
					closed[i] = true
				}
				if rng.IntN(3) > 0 && !p.eof[i] {
					n, err := c.Receive(p.now, buf[:1+rng.IntN(len(buf))])
					p.received[i].Write(buf[:n])

					if err == io.EOF {
						p.eof[i] = true
					} else if err != nil {
						t.Fatalf("seed %d side %d Receive: %v", seed, i, err)
					}
				}
			}
			if p.eof[0] && p.eof[1] && closed[0] && closed[1] {
				for i := range 2 {
					p.tcb[i].Close(p.now)
				}
			}
			if p.tcb[1] != nil && p.tcb[0].Done() && p.tcb[1].Done() && p.eof[0] && p.eof[1] {
				break
			}
			p.step() // when nothing is left to happen, the readers still drain
		}
		for i := range 2 {
			if !bytes.Equal(p.received[1-i].Bytes(), data[i]) {
				t.Fatalf("seed %d: side %d sent %d bytes, the other read %d (or different ones); faults %+v, configs %+v / %+v", seed, i, len(data[i]), p.received[1-i].Len(), faults, p.cfg[0], p.cfg[1])
			}
			if p.tcb[i].Err() != nil {
				t.Fatalf("seed %d: side %d ended with %v", seed, i, p.tcb[i].Err())
			}
		}
	}
}

// RFC 9293 figure 7 end to end: both ends open actively at the same
// instant, cross SYNs, and end with one connection that carries data both
// ways, over a lossy link.
func TestLoopSimultaneousOpen(t *testing.T) {
	crossed := 0
	defer func() {
		if !t.Failed() && crossed == 0 {
			t.Fatal("no seed had both ends pass through SYN-RECEIVED")
		}
	}()
	for seed := uint64(1); seed <= 20; seed++ {
		p := newPair(t, seed, fullConfig(), fullConfig(), linkFaults{drop: 0.1})
		serverID := FourTuple{LocalAddr: localIP, LocalPort: localPort, RemoteAddr: peerIP, RemotePort: remotePort}
		p.tcb[1] = Open(fullConfig(), serverID, 0x12345678, p.now)
		for range 1000 {
			if p.tcb[0].State() == Established && p.tcb[1].State() == Established {
				break
			}
			if !p.step() {
				break
			}
		}
		if p.tcb[0].State() != Established || p.tcb[1].State() != Established {
			t.Fatalf("seed %d: states %v %v", seed, p.states[0], p.states[1])
		}
		if slices.Contains(p.states[0], SynReceived) && slices.Contains(p.states[1], SynReceived) {
			crossed++
		}
		data := testData(100<<10, seed)
		p.transfer(1, data, 100000)
		checkTransfer(t, p, 1, data)
	}
}

// Ends that abort, or close with unread data, at random moments of a lossy
// transfer: whatever arrived is a prefix of what was sent, the end that
// closed finishes, and an end that was reset says so, and nothing else.
func TestLoopRandomResets(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		faults := linkFaults{drop: rng.Float64() * 0.05, reorder: rng.Float64() * 0.05, duplicate: rng.Float64() * 0.02}
		p := newPairISS(t, seed, fullConfig(), Config{NoTimestamps: rng.IntN(2) == 0}, faults, seqnum.Value(rng.Uint32()), seqnum.Value(rng.Uint32()))
		data := testData(64<<10, seed)
		off := 0
		ender, endAt := rng.IntN(2), rng.IntN(400)
		ended := false
		buf := make([]byte, 2048)
		for step := 0; step < 200000; step++ {
			if c := p.tcb[0]; c.State() == Established && off < len(data) {
				n, _ := c.Send(p.now, data[off:min(len(data), off+1000)])
				off += n
			}
			if c := p.tcb[1]; c != nil && rng.IntN(2) == 0 {
				n, err := c.Receive(p.now, buf)
				p.received[1].Write(buf[:n])
				if err == io.EOF {
					c.Close(p.now) // the client closed gracefully
				}
			}
			if n, err := p.tcb[0].Receive(p.now, buf); n == 0 && err == io.EOF {
				p.tcb[0].Close(p.now) // the server closed gracefully
			}
			if !ended && step == endAt && p.tcb[ender] != nil {
				if rng.IntN(2) == 0 {
					p.tcb[ender].Abort(p.now)
				} else {
					p.tcb[ender].Close(p.now) // with unread data if any: RST
				}
				ended = true
			}
			if ended && p.tcb[1] != nil && p.tcb[0].Done() && p.tcb[1].Done() {
				break
			}
			p.step() // with nothing left to happen, the applications go on
		}
		if !ended || p.tcb[1] == nil {
			continue
		}
		if !bytes.HasPrefix(data, p.received[1].Bytes()) {
			t.Fatalf("seed %d: the server read %d bytes that are not a prefix of the stream", seed, p.received[1].Len())
		}
		// The end that closed or aborted is finished. The other may be left
		// half-open, correctly, when the RST that ended the connection was
		// lost: it has nothing to send and so never learns.
		if s := p.tcb[ender].State(); s != Closed && s != TimeWait {
			t.Fatalf("seed %d: side %d ended in %v (states %v)", seed, ender, s, p.states[ender])
		}
		other := p.tcb[1-ender]
		if err := other.Err(); err != nil && !errors.Is(err, ErrConnectionReset) && !errors.Is(err, ErrTimedOut) {
			t.Fatalf("seed %d: the other end reports %v", seed, err)
		}
	}
}
