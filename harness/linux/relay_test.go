package linux

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// Two Linux Hosts joined TUN to TUN by the test, as a Net joins two peers:
// what one kernel sends is written into the other. The close is checked with
// no wait at all: each relay's writes are processed, and their answers
// queued, before WritePacket returns. A megabyte crosses each
// way with non-blocking calls only, then the dialer closes first and ends in
// TIME-WAIT while the listener's end goes to CLOSED.
func TestTwoHostsRelayed(t *testing.T) {
	ha := openHost(t, Config{Addr: netip.MustParsePrefix("192.0.2.2/24")})
	hb := openHost(t, Config{Addr: netip.MustParsePrefix("192.0.2.1/24")})
	// relay is the wire: what each kernel has sent goes into the other.
	// Each round of poll calls it before looking at the sockets.
	relay := func() error {
		for _, p := range [][2]*Host{{ha, hb}, {hb, ha}} {
			pkts, err := p[0].TakePackets()
			if err != nil {
				return err
			}
			for _, pkt := range pkts {
				if err := p[1].WritePacket(pkt); err != nil {
					return err
				}
			}
		}
		return nil
	}

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
		if err := relay(); err != nil {
			return false, err
		}
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
		if err := relay(); err != nil {
			return false, err
		}
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
		if err := relay(); err != nil {
			return false, err
		}
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
	if err := relay(); err != nil { // the server's FIN, then the client's ACK
		t.Fatal(err)
	}
	if err := relay(); err != nil {
		t.Fatal(err)
	}
	st, err := client.State()
	wantState(t, "client", st, err, harness.TimeWait)
	st, err = server.State()
	wantState(t, "server", st, err, harness.Closed)
	for _, h := range []*Host{ha, hb} {
		if err := h.Settle(expectTimeout); err != nil {
			t.Fatal(err)
		}
		if pkts, _ := h.TakePackets(); len(pkts) != 0 {
			t.Errorf("%v sent %d packets after the close settled", h.Addr(), len(pkts))
		}
		if s := h.Stats(); s.Dropped != 0 || s.PacketsFromKernel == 0 {
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
