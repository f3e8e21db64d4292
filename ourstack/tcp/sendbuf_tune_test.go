package tcp

import (
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// runBulk writes as much as Send takes and acknowledges everything sent,
// rounds times, and returns the most the send buffer ever held.
func runBulk(f *fixture, rounds int) int {
	chunk := make([]byte, 64<<10)
	most := 0
	for i := 0; i < rounds; i++ {
		took := 0
		for {
			n, err := f.tcb.Send(f.now, chunk)
			if err != nil {
				f.t.Fatal(err)
			}
			took += n
			if n < len(chunk) {
				break
			}
		}
		most = max(most, f.tcb.sendBuf.Len())
		f.poll()
		f.send(seg{flags: ack, seq: remoteISS + 1, ack: f.tcb.sndMax, win: 60000})
	}
	return most
}

// An autotuned send buffer (Config.SendBuffer zero) grows past the default
// as the congestion window opens, and no further than MaxAutoSendBuffer.
func TestSendBufferAutotunesWithCongestionWindow(t *testing.T) {
	cfg := baseConfig()
	cfg.SendBuffer = 0
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1460}, 60000)
	if f.tcb.snd.bufLimit != DefaultSendBuffer {
		t.Fatalf("starts at %d, want %d", f.tcb.snd.bufLimit, DefaultSendBuffer)
	}
	most := runBulk(f, 150)
	cwnd := f.tcb.snd.cc.Cwnd()
	if cwnd <= DefaultSendBuffer {
		t.Fatalf("cwnd only reached %d; the test needs it past the default buffer", cwnd)
	}
	if want := min(2*cwnd, MaxAutoSendBuffer); f.tcb.snd.bufLimit < want-2*int(f.tcb.opts.sendMSS)*2 {
		t.Fatalf("limit %d with cwnd %d, want about %d", f.tcb.snd.bufLimit, cwnd, want)
	}
	if f.tcb.snd.bufLimit > MaxAutoSendBuffer {
		t.Fatalf("limit %d past the ceiling %d", f.tcb.snd.bufLimit, MaxAutoSendBuffer)
	}
	if most <= DefaultSendBuffer {
		t.Fatalf("the send buffer never held more than %d bytes", most)
	}
}

// A send buffer the Config sized stays that size (as SO_SNDBUF stops Linux
// from autotuning).
func TestSendBufferFixedWhenConfigured(t *testing.T) {
	cfg := baseConfig()
	cfg.SendBuffer = 64 << 10
	f := tcbEstablishedWith(t, cfg, wire.Options{HasMSS: true, MSS: 1460}, 60000)
	most := runBulk(f, 150)
	if f.tcb.snd.bufLimit != 64<<10 || most > 64<<10 {
		t.Fatalf("limit %d, buffer held up to %d; want both 64 KiB", f.tcb.snd.bufLimit, most)
	}
}
