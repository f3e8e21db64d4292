package tcp

import (
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// BenchmarkBulkTransfer moves data between two TCBs with no link in between
// (each segment handed straight to the other side), so it measures the
// TCB's own cost per byte: go test -bench BulkTransfer -benchmem ./ourstack/tcp
func BenchmarkBulkTransfer(b *testing.B) {
	now := epoch
	cfg := Config{}
	client := Open(cfg, FourTuple{LocalPort: remotePort, RemotePort: localPort}, 1, now)
	var server *TCB
	var toServer, toClient []wire.Segment
	var arena [2][]byte
	queue := func(dst *[]wire.Segment, side int) func(s *wire.Segment) {
		return func(s *wire.Segment) {
			c := *s
			start := len(arena[side])
			arena[side] = append(arena[side], s.Payload...)
			c.Payload = arena[side][start:len(arena[side]):len(arena[side])]
			*dst = append(*dst, c)
		}
	}
	qs, qc := queue(&toServer, 0), queue(&toClient, 1)
	client.Poll(now, qs)
	syn := toServer[0]
	toServer = toServer[:0]
	server = OpenPassive(cfg, FourTuple{LocalPort: localPort, RemotePort: remotePort}, &syn, 2, now)
	buf := make([]byte, 64<<10)
	payload := make([]byte, 64<<10)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	exchange := func() {
		server.Poll(now, qc)
		for _, s := range toClient {
			client.HandleSegment(now, &s)
		}
		toClient = toClient[:0]
		arena[1] = arena[1][:0]
		client.Poll(now, qs)
		for _, s := range toServer {
			server.HandleSegment(now, &s)
			server.Poll(now, qc)
		}
		toServer = toServer[:0]
		arena[0] = arena[0][:0]
		for {
			n, _ := server.Receive(now, buf)
			if n == 0 {
				break
			}
		}
		now = now.Add(time.Millisecond)
		client.HandleTimers(now)
		server.HandleTimers(now)
	}
	for range 10 {
		exchange()
	}
	b.ResetTimer()
	for range b.N {
		off := 0
		for off < len(payload) {
			n, err := client.Send(now, payload[off:])
			if err != nil {
				b.Fatal(err)
			}
			off += n
			exchange()
		}
	}
}
