package linux

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// Two Linux Hosts joined TUN to TUN by the test, as a Net joins two peers:
// what one kernel sends is written into the other. A megabyte crosses each
// way with non-blocking calls only, then the dialer closes first and ends in
// TIME-WAIT while the listener's end goes to CLOSED.
func TestTwoHostsRelayed(t *testing.T) {
	var a, b atomic.Pointer[Host]
	relay := func(to *atomic.Pointer[Host]) func([]byte) {
		return func(pkt []byte) {
			if h := to.Load(); h != nil {
				h.WritePacket(pkt) // ErrClosed while the other end shuts down
			}
		}
	}
	ha := openHost(t, Config{Addr: netip.MustParsePrefix("192.0.2.2/24"), OnPacket: relay(&b)})
	hb := openHost(t, Config{Addr: netip.MustParsePrefix("192.0.2.1/24"), OnPacket: relay(&a)})
	a.Store(ha)
	b.Store(hb)
	t.Cleanup(func() { a.Store(nil); b.Store(nil) })

	l, err := hb.Listen(7000, 4)
	if err != nil {
		t.Fatal(err)
	}
	client, err := ha.Connect(netip.AddrPortFrom(hb.Addr(), 7000))
	if err != nil {
		t.Fatal(err)
	}
	var server *Conn
	poll(t, "handshake", func() (bool, error) {
		if server == nil {
			c, err := l.TryAccept()
			if err == ErrWouldBlock {
				return false, nil
			}
			server = c
			return false, err
		}
		err := client.Connected()
		if err == ErrWouldBlock {
			return false, nil
		}
		return true, err
	})

	up := randomBytes(1<<20, 1)
	down := randomBytes(1<<20, 2)
	var gotUp, gotDown bytes.Buffer
	transfer := func(w *Conn, data *[]byte, r *Conn, got *bytes.Buffer) error {
		if len(*data) > 0 {
			n, err := w.TryWrite(*data)
			if err != nil && err != ErrWouldBlock {
				return err
			}
			*data = (*data)[n:]
		}
		buf := make([]byte, 64<<10)
		for {
			n, err := r.TryRead(buf)
			got.Write(buf[:n])
			if err == ErrWouldBlock {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	upLeft, downLeft := up, down
	poll(t, "a megabyte each way", func() (bool, error) {
		if err := transfer(client, &upLeft, server, &gotUp); err != nil {
			return false, err
		}
		if err := transfer(server, &downLeft, client, &gotDown); err != nil {
			return false, err
		}
		return gotUp.Len() == len(up) && gotDown.Len() == len(down), nil
	})
	if sha256.Sum256(gotUp.Bytes()) != sha256.Sum256(up) || sha256.Sum256(gotDown.Bytes()) != sha256.Sum256(down) {
		t.Fatal("bytes differ")
	}

	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	poll(t, "server reads EOF", func() (bool, error) {
		_, err := server.TryRead(make([]byte, 1))
		if err == ErrWouldBlock {
			return false, nil
		}
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		return false, err
	})
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := WaitState(client.State, tcp.TimeWait, expectTimeout); err != nil {
		t.Fatalf("client: %v, %v", st, err)
	}
	if st, err := WaitState(server.State, tcp.Closed, expectTimeout); err != nil {
		t.Fatalf("server: %v, %v", st, err)
	}
	for _, h := range []*Host{ha, hb} {
		if err := h.Settle(expectTimeout); err != nil {
			t.Fatal(err)
		}
		if s := h.Stats(); s.NonIPv4Dropped != 0 || s.PacketsFromKernel == 0 {
			t.Errorf("%v stats %+v", h.Addr(), s)
		}
	}
}

// poll calls step until it reports done or an error, failing the test after
// expectTimeout of real time.
func poll(t *testing.T, what string, step func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(expectTimeout)
	for {
		done, err := step()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not done after %v", what, expectTimeout)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
