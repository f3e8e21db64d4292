package fuzz

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

var writeInteropCorpus = flag.Bool("write-interop-corpus", false, "rewrite the interop target's seed-* corpus files from interopSeeds()")

// interopSeed is a hand-written program and the states it must lead
// ourstack through, in both pairings with ourstack in them, for the seed to
// be doing its job.
type interopSeed struct {
	name string
	prog *interopProgram
	// client and server are states ourstack must reach, in order (not
	// necessarily one after the other), when it plays that side.
	client, server []harness.State
	// reACK: the client's TIME-WAIT took a retransmitted FIN and so lasted
	// longer than 2MSL from its start.
	reACK bool
}

// Shorthands for writing programs.
func stepWrite(s harness.Side, n int) interopStep {
	return interopStep{op: opWrite, side: s, n: n}
}
func stepRead(s harness.Side, kib int) interopStep {
	return interopStep{op: opRead, side: s, n: kib << 10}
}
func stepCloseWrite(s harness.Side) interopStep { return interopStep{op: opCloseWrite, side: s} }
func stepClose(s harness.Side) interopStep      { return interopStep{op: opClose, side: s} }
func stepAbort(s harness.Side) interopStep      { return interopStep{op: opAbort, side: s} }
func stepAdvance(d time.Duration) interopStep   { return interopStep{op: opAdvance, d: d} }
func stepFault(r interopRule) interopStep       { return interopStep{op: opFault, rule: r} }
func stepHeal() interopStep                     { return interopStep{op: opHeal} }

const (
	cli = harness.Client
	srv = harness.Server
)

func interopSeeds() []interopSeed {
	return []interopSeed{
		{
			name: "transfer",
			prog: &interopProgram{seed: 1, steps: []interopStep{
				stepWrite(cli, 4097), stepAdvance(50 * time.Millisecond), stepRead(srv, 4), stepCloseWrite(cli), stepAdvance(time.Second),
			}},
			client: []harness.State{harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed},
			server: []harness.State{harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed},
		},
		{
			// RFC 9293 3.6: the client half-closes; the server goes on
			// sending, and the client goes on reading in FIN-WAIT-2.
			name: "half-close",
			prog: &interopProgram{seed: 2, steps: []interopStep{
				stepAdvance(10 * time.Millisecond), stepWrite(cli, 1001), stepCloseWrite(cli), stepAdvance(20 * time.Millisecond),
				stepRead(srv, 2), stepWrite(srv, 16001), stepAdvance(100 * time.Millisecond), stepRead(cli, 16),
				stepWrite(srv, 3001), stepAdvance(time.Second), stepRead(cli, 4), stepClose(srv), stepAdvance(10 * time.Millisecond), stepClose(cli),
				stepAdvance(2 * time.Minute),
			}},
			client: []harness.State{harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed},
			server: []harness.State{harness.Established, harness.CloseWait, harness.LastAck, harness.Closed},
		},
		{
			// RFC 9293 figure 13: both FINs cross on the wire.
			name: "simultaneous-close",
			prog: &interopProgram{seed: 3, steps: []interopStep{
				stepAdvance(10 * time.Millisecond), stepWrite(cli, 101), stepWrite(srv, 201), stepAdvance(500 * time.Millisecond),
				stepRead(cli, 1), stepRead(srv, 1), stepClose(cli), stepClose(srv), stepAdvance(3 * time.Minute),
			}},
			client: []harness.State{harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait, harness.Closed},
			server: []harness.State{harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait, harness.Closed},
		},
		{
			// The client's ACK of the server's FIN is lost: the server
			// retransmits its FIN, and the client, in TIME-WAIT, ACKs it
			// again and restarts its 2MSL (RFC 9293 3.10.7.4).
			name: "time-wait-reack",
			prog: &interopProgram{seed: 4, steps: []interopStep{
				stepAdvance(10 * time.Millisecond), stepClose(cli), stepAdvance(300 * time.Millisecond),
				stepFault(interopRule{action: harness.Drop, dirs: harness.OnlyClientToServer, match: matchPureACK, times: 1}),
				stepClose(srv), stepAdvance(10 * time.Second), stepHeal(), stepAdvance(2 * time.Minute),
			}},
			client: []harness.State{harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed},
			server: []harness.State{harness.CloseWait, harness.LastAck, harness.Closed},
			reACK:  true,
		},
		{
			name: "lossy-transfer",
			prog: &interopProgram{seed: 5, steps: []interopStep{
				stepFault(interopRule{action: harness.Drop, match: matchData, probability: 64}),
				stepFault(interopRule{action: harness.Duplicate, dirs: harness.OnlyServerToClient, probability: 32}),
				stepAdvance(10 * time.Millisecond), stepWrite(cli, 16001), stepWrite(srv, 8001), stepAdvance(2 * time.Second),
				stepRead(srv, 16), stepRead(cli, 8), stepWrite(cli, 16001), stepCloseWrite(cli), stepAdvance(5 * time.Second), stepRead(srv, 16),
			}},
			client: []harness.State{harness.Established, harness.FinWait1},
			server: []harness.State{harness.Established, harness.CloseWait},
		},
		{
			name: "reorder-corrupt",
			prog: &interopProgram{seed: 6, steps: []interopStep{
				stepFault(interopRule{action: harness.Reorder, dirs: harness.OnlyClientToServer, match: matchData, probability: 128, delay: 40 * time.Millisecond}),
				stepFault(interopRule{action: harness.Corrupt, nth: 5}),
				stepFault(interopRule{action: harness.Delay, dirs: harness.OnlyServerToClient, match: matchPureACK, times: 3, delay: 100 * time.Millisecond}),
				stepAdvance(10 * time.Millisecond), stepWrite(cli, 12001), stepAdvance(time.Second), stepRead(srv, 16), stepClose(cli), stepAdvance(time.Second),
			}},
			client: []harness.State{harness.Established, harness.FinWait1},
			server: []harness.State{harness.Established, harness.CloseWait},
		},
		{
			// ABORT mid-transfer (RFC 9293 3.10.5): RST, both ends CLOSED.
			name: "abort",
			prog: &interopProgram{seed: 7, steps: []interopStep{
				stepAdvance(10 * time.Millisecond), stepWrite(cli, 8001), stepAdvance(5 * time.Millisecond), stepAbort(cli), stepAdvance(time.Second),
			}},
			client: []harness.State{harness.Established, harness.Closed},
			server: []harness.State{harness.Established, harness.Closed},
		},
		{
			// CLOSE with unread data resets (RFC 1122 4.2.2.13).
			name: "close-unread",
			prog: &interopProgram{seed: 8, steps: []interopStep{
				stepAdvance(10 * time.Millisecond), stepWrite(cli, 2001), stepAdvance(50 * time.Millisecond), stepClose(srv), stepAdvance(time.Second),
			}},
			client: []harness.State{harness.Established, harness.Closed},
			server: []harness.State{harness.Established, harness.Closed},
		},
		{
			// The SYN is lost twice: the handshake completes on the
			// second retransmission, data waits for it.
			name: "syn-lost",
			prog: &interopProgram{seed: 9, steps: []interopStep{
				stepFault(interopRule{action: harness.Drop, match: matchSYN, times: 2}),
				stepWrite(cli, 501), stepWrite(srv, 501), stepAdvance(5 * time.Second), stepRead(cli, 1), stepRead(srv, 1),
			}},
			client: []harness.State{harness.SynSent, harness.Established},
			server: []harness.State{harness.SynReceived, harness.Established},
		},
	}
}

// TestInteropSeedCorpus keeps interopCorpus/seed-* what
// interopSeeds encodes to (-write-interop-corpus rewrites them), and checks
// that each program decodes back to itself.
func TestInteropSeedCorpus(t *testing.T) {
	dir := interopCorpus
	for _, s := range interopSeeds() {
		enc := encodeInteropProgram(s.prog)
		if got := decodeInteropProgram(enc); !reflect.DeepEqual(got, s.prog) {
			t.Errorf("%s: decodes to %v, not %v", s.name, got, s.prog)
		}
		file := filepath.Join(dir, "seed-"+s.name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", enc)
		if *writeInteropCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil || string(got) != want {
			t.Errorf("%s is not the encoding of seed %q (err %v); run go test -run=TestInteropSeedCorpus ./fuzz/ -write-interop-corpus", file, s.name, err)
		}
	}
}

// TestInteropSeedsReachTheirStates: each seed leads ourstack, as client and
// as server, through the states it is there for, and passes the oracle.
func TestInteropSeedsReachTheirStates(t *testing.T) {
	for _, s := range interopSeeds() {
		t.Run(s.name, func(t *testing.T) {
			runs := checkInteropProgram(t, s.prog)
			for i, side := range []harness.Side{harness.Client, harness.Server} {
				r := runs[i] // runs[0]: ours dials; runs[1]: ours listens
				want := s.client
				if side == harness.Server {
					want = s.server
				}
				got := r.net.States(side, r.ourID(side))
				if !containsInOrder(got, want) {
					t.Errorf("%s: ourstack as %s went %v; want it to pass through %v", r.pairing.name, side, got, want)
				}
				if s.reACK && side == harness.Client {
					if d := timeWaitLength(r.net.History(side, r.ourID(side))); d <= 2*interopMSL {
						t.Errorf("%s: ourstack's TIME-WAIT lasted %v: no retransmitted FIN restarted it", r.pairing.name, d)
					}
				}
			}
		})
	}
}

// containsInOrder reports whether want is a subsequence of got.
func containsInOrder(got, want []harness.State) bool {
	for _, w := range want {
		i := slices.Index(got, w)
		if i < 0 {
			return false
		}
		got = got[i+1:]
	}
	return true
}

// timeWaitLength is how long the first TIME-WAIT in h lasted (0 if none
// ended).
func timeWaitLength(h []harness.StateChange) time.Duration {
	for i, c := range h {
		if c.To == harness.TimeWait && i+1 < len(h) {
			return h[i+1].At - c.At
		}
	}
	return 0
}
