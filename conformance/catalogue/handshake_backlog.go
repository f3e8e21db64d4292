package catalogue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// acceptBacklog is the listen backlog of listen-backlog: the harness's
// gVisor peer always listens with 128 (it has no knob), and ourstack is
// given the same.
const acceptBacklog = 128

// backlogExtra is how many more clients than the backlog dial at once.
const backlogExtra = 8

var _ = Register(
	// listen-backlog: 136 clients (acceptBacklog+backlogExtra) dial a listener
	// with a backlog of 128 (acceptBacklog) at the same instant, and nobody
	// accepts for 10 s. Expected: at most backlog+1 connections complete on the
	// server. The others wait (their SYN, third ACK or data dropped and
	// retransmitted, or SYN cookies) or are refused, and nothing crashes. Once
	// Accept drains the queue, every waiting client is accepted with its bytes
	// intact, and a new dial succeeds.
	Scenario{
		Name:         "listen-backlog",
		RealTime:     TooSlowForRealTime,
		RealTimeNote: "nobody accepts for 10 s while Linux's clients retransmit on its real-time timers: 10 s of real time",
		Section:      "handshake",
		Summary:      fmt.Sprintf("%d clients dial a backlog of %d: at most %d complete, the rest wait or are refused", acceptBacklog+backlogExtra, acceptBacklog, acceptBacklog+1),
		RFCs:         []string{"RFC 9293 3.10.7.2", "RFC 4987 3.6"},
		Setup: func(s *Setup) {
			s.Ours.Backlog = acceptBacklog
			s.Patience = 3 * time.Minute
		},
		Run: runListenBacklog,
	},
)

func runListenBacklog(e *Env) error {
	l := e.Listen()
	const dials = acceptBacklog + backlogExtra
	clients := make([]harness.Conn, dials)
	tags := make([][]byte, dials)
	written := make([]bool, dials)
	writeErr := make([]error, dials)
	byPort := map[uint16]int{}
	for i := range clients {
		clients[i] = e.Dial()
		tags[i] = binary.BigEndian.AppendUint64([]byte("client #"), uint64(i))
		byPort[clients[i].ID().LocalPort] = i
	}
	// Each client writes its tag as soon as its stack takes it (gVisor
	// refuses writes in SYN-SENT; ourstack queues them).
	writeTags := func() {
		for i, c := range clients {
			if written[i] {
				continue
			}
			n, err := c.Write(tags[i])
			switch {
			case err == nil && n == len(tags[i]):
				written[i] = true
			case err == nil || errors.Is(err, harness.ErrWouldBlock):
			default:
				// Refused or reset: checked below. A socket reports such an
				// error once (then Read gives EOF, as on Linux and gVisor).
				written[i], writeErr[i] = true, err
			}
		}
	}
	writeTags()
	for range 100 { // 10 s without Accept
		e.Advance(100 * time.Millisecond)
		writeTags()
	}

	// At most backlog+1 connections may have completed on the server
	// (BSD and Linux admit one more than the backlog; so does gVisor).
	complete := 0
	for _, c := range clients {
		if e.Net.State(harness.Server, c.ID().Reverse()) == harness.Established {
			complete++
		}
	}
	if complete > acceptBacklog+1 {
		e.Fatalf(fmt.Sprintf("at most %d connections complete on the server before any Accept", acceptBacklog+1), "%d", complete)
	}
	refused := map[int]error{}
	for i, c := range clients {
		_, err := c.Read(make([]byte, 1))
		if writeErr[i] != nil {
			err = writeErr[i]
		}
		if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
			if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
				e.Fatalf("a waiting client to be either still waiting or refused", "client %d: Read: %v", i, err)
			}
			refused[i] = err
		}
	}

	// Drain: accept everything, read every tag.
	accepted := map[int]bool{}
	pending := map[harness.Conn]int{} // accepted, tag not yet read whole
	got := map[harness.Conn][]byte{}
	buf := make([]byte, 64)
	e.WaitFor("every waiting client to be accepted with its tag", func() bool {
		writeTags()
		for {
			s, err := l.Accept()
			if err != nil {
				break
			}
			i, ok := byPort[s.ID().RemotePort]
			if !ok || accepted[i] {
				e.Fatalf("each accepted connection to be one of the clients, once", "accepted %v", s.ID())
			}
			if _, was := refused[i]; was {
				e.Fatalf("no refused client accepted later", "client %d was refused (%v) and then accepted", i, refused[i])
			}
			accepted[i] = true
			pending[s] = i
		}
		for s, i := range pending {
			k, err := s.Read(buf)
			got[s] = append(got[s], buf[:k]...)
			if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
				e.Fatalf(fmt.Sprintf("client %d's tag", i), "Read: %v after %q", err, got[s])
			}
			if len(got[s]) >= len(tags[i]) {
				if string(got[s]) != string(tags[i]) {
					e.Fatalf(fmt.Sprintf("client %d's tag %q", i, tags[i]), "%q", got[s])
				}
				delete(pending, s)
			}
		}
		return len(accepted)+len(refused) == dials && len(pending) == 0
	})
	for i, c := range clients {
		if _, was := refused[i]; !was && c.State() != harness.Established {
			e.Fatalf(fmt.Sprintf("client %d ESTABLISHED once accepted", i), "%v", c.State())
		}
	}
	e.Observe("%d connections complete on the server before Accept; %d clients refused, %d waited", complete, len(refused), dials-complete-len(refused))
	expectListenerStillWorks(e, l)
	return nil
}
