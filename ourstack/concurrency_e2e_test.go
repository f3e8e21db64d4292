package ourstack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// TestManyConnectionsEchoAtOnce: 32 clients dial one echo server at once on
// the real clock; each writes 200 KiB from one goroutine while reading the
// echo from another, half-closes, and reads to EOF. Every byte comes back
// in order, every connection ends, nothing deadlocks (run it with -race).
func TestManyConnectionsEchoAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on real time")
	}
	const conns, size = 32, 200 << 10
	client, server, stopLink := realTimeStacks(t, nil)
	defer stopLink()

	l, err := server.Listen(7, conns)
	if err != nil {
		t.Fatal(err)
	}
	var served sync.WaitGroup
	go func() {
		for {
			c, err := l.AcceptTCP()
			if err != nil {
				return // the listener closed
			}
			served.Add(1)
			go func() {
				defer served.Done()
				defer c.Close()
				if _, err := io.Copy(c, c); err != nil {
					t.Errorf("echo: %v", err)
				}
				c.CloseWrite()
			}()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make(chan error, conns)
	for i := range conns {
		go func() {
			errs <- echoOnce(ctx, client, i, size)
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	l.Close()
	served.Wait()
}

// echoOnce dials the echo server, sends size bytes that depend on i while
// reading them back, half-closes, and checks what came back.
func echoOnce(ctx context.Context, s *Stack, i, size int) error {
	c, err := s.Dial(ctx, "tcp", serverIP+":7")
	if err != nil {
		return fmt.Errorf("conn %d: dial: %w", i, err)
	}
	defer c.Close()
	want := make([]byte, size)
	for k := range want {
		want[k] = byte(k*31 + i)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(want)
		if err == nil {
			err = c.CloseWrite()
		}
		wrote <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		return fmt.Errorf("conn %d: read: %w", i, err)
	}
	if err := <-wrote; err != nil {
		return fmt.Errorf("conn %d: write: %w", i, err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("conn %d: %d bytes came back, not the %d sent", i, len(got), len(want))
	}
	return nil
}
