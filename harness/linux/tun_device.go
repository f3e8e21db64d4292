package linux

import (
	"errors"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// tunDevice is the harness's end of the TUN: a non-blocking fd read and
// written only by the goroutine that calls the Host.
//
// Why no reader goroutine: a packet written to the TUN is processed by the
// kernel inside the write (tun_get_user hands it to netif_receive_skb with
// bottom halves disabled), and whatever TCP sends in answer (an ACK, a
// SYN-ACK, data the ACK opened the window for) is on the TUN's ring before
// write returns. So does what a socket call (write, shutdown, close)
// transmits. Reading the ring until EAGAIN is therefore an exact barrier for
// everything the kernel does at once; only what its timers do later needs a
// wait, and Host.Settle is that wait. A goroutine reading concurrently would
// blur the barrier (a packet taken off the ring but not yet queued looks like
// no packet).
type tunDevice struct {
	mu  sync.Mutex
	fd  int // -1 once closed
	buf []byte
}

func newTUNDevice(fd int) *tunDevice { return &tunDevice{fd: fd, buf: make([]byte, maxPacket)} }

// write hands the kernel one packet.
func (t *tunDevice) write(pkt []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fd < 0 {
		return ErrClosed
	}
	_, err := unix.Write(t.fd, pkt)
	return os.NewSyscallError("write to TUN", err)
}

// drain reads every packet on the ring and passes each (a fresh copy) to f.
func (t *tunDevice) drain(f func(pkt []byte)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fd < 0 {
		return ErrClosed
	}
	for {
		n, err := unix.Read(t.fd, t.buf)
		if err == unix.EAGAIN {
			return nil
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("read from TUN", err)
		}
		f(append([]byte(nil), t.buf[:n]...))
	}
}

// pollSlice bounds one poll so that close is noticed promptly (closing an
// fd does not wake a poll on it).
const pollSlice = 10 * time.Millisecond

// wait returns true as soon as the ring holds a packet, false if it stays
// empty for d.
func (t *tunDevice) wait(d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		slice := min(left, pollSlice)
		t.mu.Lock()
		fd := t.fd
		t.mu.Unlock()
		if fd < 0 {
			return false, ErrClosed
		}
		// Rounded up: poll's timeout is in whole milliseconds, and a zero
		// timeout would spin.
		ms := int((slice + time.Millisecond - 1) / time.Millisecond)
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, ms)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return false, os.NewSyscallError("poll TUN", err)
		}
		if n > 0 && pfd[0].Revents&unix.POLLIN != 0 {
			return true, nil
		}
	}
}

// close closes the fd; a concurrent wait returns within pollSlice.
func (t *tunDevice) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fd < 0 {
		return nil
	}
	err := unix.Close(t.fd)
	t.fd = -1
	return os.NewSyscallError("close TUN", err)
}
