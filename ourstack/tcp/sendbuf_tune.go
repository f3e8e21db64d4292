package tcp

// Send-buffer autotuning. RFC 9293 leaves the send buffer's size to the
// implementation; what it must hold is what is in flight plus what the
// congestion window will let out next, and during loss recovery (RFC 6675)
// the flight stays pinned at SND.UNA while new data keeps going. On a path
// whose bandwidth-delay product is near the default 256 KiB (100 Mbit/s
// over 20 ms is 250 KB) a fixed buffer caps the window below what the path
// and congestion control allow. Linux grows its send buffer with the
// congestion window (tcp_sndbuf_expand: about twice the window, up to
// tcp_wmem[2] = 4 MiB) unless the application fixed it with SO_SNDBUF; we
// do the same: a Config.SendBuffer of zero autotunes, a positive one is
// fixed.

// MaxAutoSendBuffer is how far autotuning grows the send buffer (Linux's
// default tcp_wmem[2]).
const MaxAutoSendBuffer = 4 << 20

// initSendBufferLimit sets the starting limit: the Config's (fixed) size,
// or DefaultSendBuffer to autotune from.
func (s *sender) initSendBufferLimit(configured int, size int) {
	s.bufLimit = size
	s.bufAuto = configured <= 0
}

// tuneSendBuffer grows an autotuned send buffer's limit to twice the larger
// of the congestion window and the flight, so that the application can keep
// a window's worth queued behind what is in flight. It never shrinks: data
// the application already wrote stays.
func (t *TCB) tuneSendBuffer() {
	s := &t.snd
	if !s.bufAuto || s.bufLimit >= MaxAutoSendBuffer {
		return
	}
	flight := int(t.sndUna.Size(t.sndMax))
	want := 2 * max(s.cc.Cwnd(), flight)
	if want > s.bufLimit {
		s.bufLimit = min(want, MaxAutoSendBuffer)
	}
}
