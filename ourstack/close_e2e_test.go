package ourstack

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

func TestCloseWriteHalfCloses(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	c, sc := connected(t, n, client, server)
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	n.link.pump()
	expectState(t, c, tcp.FinWait2)
	if k, err := sc.TryRead(make([]byte, 8)); k != 0 || err != io.EOF {
		t.Fatalf("server read after CloseWrite: %d, %v; want io.EOF", k, err)
	}
	if _, err := c.TryWrite([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("client write after CloseWrite: %v, want EPIPE", err)
	}
	// The other direction still flows.
	mustWrite(t, sc, "after the half-close")
	n.link.pump()
	mustRead(t, c, "after the half-close")
	sc.Close()
	n.link.pump()
	if k, err := c.TryRead(make([]byte, 8)); k != 0 || err != io.EOF {
		t.Fatalf("client read after the server's FIN: %d, %v; want io.EOF", k, err)
	}
	expectState(t, c, tcp.TimeWait)
}

func TestWriteDeadlineOnVirtualTime(t *testing.T) {
	n := newTestNet(t)
	small := func(o *Options) { o.TCP.SendBuffer, o.TCP.ReceiveBuffer = 4096, 4096 }
	client := n.stack(clientIP, both(quickTCP, small))
	server := n.stack(serverIP, both(quickTCP, small))
	c, _ := connected(t, n, client, server)
	n.link.run()
	// The server never reads: once its window and the client's send buffer
	// are full, Write waits, until the deadline.
	c.SetWriteDeadline(n.clock.Now().Add(time.Minute))
	done := make(chan int, 1)
	var werr error
	go func() {
		k, err := c.Write(make([]byte, 1<<20))
		werr = err
		done <- k
	}()
	waitParked(t, c)
	n.link.settle()
	n.clock.Advance(time.Minute - time.Nanosecond)
	select {
	case k := <-done:
		t.Fatalf("Write returned %d, %v before its deadline", k, werr)
	default:
	}
	n.clock.Advance(time.Nanosecond)
	k := <-done
	if !isTimeout(werr, "write") {
		t.Fatalf("Write at its deadline: %d, %v", k, werr)
	}
	if k == 0 || k >= 1<<20 {
		t.Errorf("Write took %d bytes before its deadline; want some, not all", k)
	}
}

func TestCloseUnblocksReadAndWrite(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	c, _ := connected(t, n, client, server)
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	c.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read on a closed Conn: %v, want net.ErrClosed", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write on a closed Conn: %v, want net.ErrClosed", err)
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
	if err := c.SetDeadline(time.Time{}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("SetDeadline on a closed Conn: %v, want net.ErrClosed", err)
	}
}
