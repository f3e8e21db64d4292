package ourstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHTTPOverOurstack runs net/http, a real program that uses TCP, with
// both ends on ourstack (default settings: Nagle and delayed ACKs on) over
// the real clock.
func TestHTTPOverOurstack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on real time")
	}
	client, server, stopLink := realTimeStacks(t, nil)
	defer stopLink()

	l, err := server.Listen(80, 0)
	if err != nil {
		t.Fatal(err)
	}
	exerciseHTTP(t, l, func(ctx context.Context, network, addr string) (net.Conn, error) {
		return client.Dial(ctx, network, addr)
	}, serverIP)
}

// exerciseHTTP serves HTTP on l and runs a client that dials with dial:
// keep-alive reuse, request and response bodies bigger than the windows, a
// server-side "Connection: close", a half-read body the client abandons,
// and a graceful Shutdown.
func exerciseHTTP(t *testing.T, l net.Listener, dial func(ctx context.Context, network, addr string) (net.Conn, error), host string) {
	t.Helper()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	mux.HandleFunc("/bye", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	var conns atomic.Int32
	srv := &http.Server{
		Handler: mux,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: dial,
		},
	}
	get := func(path string) []byte {
		t.Helper()
		resp, err := hc.Get("http://" + host + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: reading the body: %v", path, err)
		}
		return body
	}

	for i := range 10 {
		if got := get("/big"); sha256.Sum256(got) != sha256.Sum256(big) {
			t.Fatalf("GET /big #%d: %d bytes, not the 1 MiB served", i, len(got))
		}
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("ten GETs took %d connections, want 1 (keep-alive)", got)
	}

	req := bytes.Repeat([]byte("request body "), 40000) // 520 KB
	resp, err := hc.Post("http://"+host+"/echo", "application/octet-stream", bytes.NewReader(req))
	if err != nil {
		t.Fatalf("POST /echo: %v", err)
	}
	echoed, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(echoed, req) {
		t.Fatalf("POST /echo: %d bytes back (err %v), want the %d sent", len(echoed), err, len(req))
	}

	if got := string(get("/bye")); got != "bye" {
		t.Fatalf("GET /bye = %q", got)
	}
	before := conns.Load()
	get("/big")
	if conns.Load() != before+1 {
		t.Errorf("after the server's Connection: close the client reused the connection")
	}

	// Abandon a body half-read: the client closes a connection with data
	// unread, which resets it; the next request must still work.
	resp, err = hc.Get("http://" + host + "/big")
	if err != nil {
		t.Fatal(err)
	}
	io.CopyN(io.Discard, resp.Body, 1000)
	resp.Body.Close()
	if got := get("/echo"); len(got) != 0 {
		t.Fatalf("GET /echo after an abandoned body = %q", got)
	}
	if got := string(get("/bye")); !strings.HasPrefix(got, "bye") {
		t.Fatalf("GET /bye = %q", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc.CloseIdleConnections()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Fatalf("Serve returned %v, want http.ErrServerClosed", err)
	}
}
