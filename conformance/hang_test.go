package conformance_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// stuckDialer is gVisor whose Dial never returns: a peer stuck inside a
// call (a stack that deadlocks, a process that stopped answering).
type stuckDialer struct {
	harness.Peer
	release chan struct{}
}

func (p *stuckDialer) Dial(raddr netip.AddrPort) (harness.Conn, error) {
	<-p.release
	return nil, errors.New("released")
}

// stormingDialer is gVisor whose Dial sends the same SYN for ever: a stack
// looping without end inside a call, as ourstack did with a FIN that took
// no sequence number.
type stormingDialer struct {
	harness.Peer
	env  harness.PeerEnv
	stop chan struct{}
}

func (p *stormingDialer) Dial(raddr netip.AddrPort) (harness.Conn, error) {
	syn := packet.Packet{
		IP:  packet.IP{Src: p.env.Addr, Dst: raddr.Addr()},
		TCP: packet.Segment{SrcPort: 40000, DstPort: raddr.Port(), Flags: packet.SYN, Seq: 1, Window: 1024},
	}.Encode(packet.Illegal{})
	for {
		select {
		case <-p.stop:
			return nil, errors.New("stopped")
		default:
			p.env.Transmit(syn)
		}
	}
}

// A cell stuck inside a call into a stack ends HangAfter after it stuck,
// as a failure with the trace so far, the stuck goroutine's stack and the
// replay line, not at the suite's timeout.
func TestStuckCellFailsWithDiagnosis(t *testing.T) {
	s, _ := conformance.Lookup("handshake")
	for _, tc := range []struct {
		name string
		peer func(env harness.PeerEnv, inner harness.Peer, done chan struct{}) harness.Peer
		want []string
	}{
		{"blocked", func(env harness.PeerEnv, inner harness.Peer, done chan struct{}) harness.Peer {
			return &stuckDialer{Peer: inner, release: done}
		}, []string{"stuckDialer).Dial"}},
		{"looping", func(env harness.PeerEnv, inner harness.Peer, done chan struct{}) harness.Peer {
			return &stormingDialer{Peer: inner, env: env, stop: done}
		}, []string{"stormingDialer).Dial", "the client sent 16384 packets since one last reached it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			defer close(done)
			peers := func(kind string, setup *conformance.Setup) harness.PeerMaker {
				if kind != "stuck" {
					return nil
				}
				return func(env harness.PeerEnv) (harness.Peer, error) {
					inner, err := gvisor.NewPeer(gvisor.Options{})(env)
					if err != nil {
						return nil, err
					}
					return tc.peer(env, inner, done), nil
				}
			}
			start := time.Now()
			res := conformance.Execute(s, conformance.RunOptions{Pairing: conformance.Pairing{Client: "stuck", Server: conformance.GVisor},
				Seed: 1, Peers: peers, HangAfter: 500 * time.Millisecond})
			took := time.Since(start)
			var f *conformance.Failure
			if !errors.As(res.Err, &f) {
				t.Fatalf("want a *Failure, got %v", res.Err)
			}
			if took > 5*time.Second {
				t.Errorf("the stuck cell took %v to end, want about HangAfter (500ms)", took)
			}
			for _, w := range append(tc.want, "every call into a stack to return", "no progress for") {
				if !strings.Contains(f.Error(), w) {
					t.Errorf("failure lacks %q:\n%s", w, f.Error())
				}
			}
			if !strings.Contains(f.Replay, "run handshake --client stuck --server gvisor --seed 1") {
				t.Errorf("replay line %q", f.Replay)
			}
		})
	}
}
