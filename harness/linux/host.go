package linux

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Defaults for Config's zero fields.
var (
	// DefaultAddr is the Linux side's address on the TUN: TEST-NET-1
	// (RFC 5737), never routed anywhere.
	DefaultAddr = netip.MustParsePrefix("192.0.2.2/24")
	// DefaultHarnessAddr is the address the harness's side of the wire
	// uses; packets for it leave through the TUN.
	DefaultHarnessAddr = netip.MustParseAddr("192.0.2.1")
)

const (
	defaultDevice      = "tcpbed0"
	defaultMTU         = 1500
	defaultQuietPeriod = 30 * time.Millisecond
	maxPacket          = 1 << 16
)

// Config configures a Host. The zero Config is a working one.
type Config struct {
	// Device is the TUN's name (default "tcpbed0"); it exists only inside
	// the namespace, so every Host can use the same name.
	Device string
	// Addr is the Linux side's address and prefix (default 192.0.2.2/24).
	Addr netip.Prefix
	// MTU of the TUN (default 1500), so Linux's MSS is 1460.
	MTU int
	// Sysctls are written inside the namespace after the defaults of
	// namespaceSysctls, keys as paths below /proc/sys
	// ("net/ipv4/tcp_sack": "0").
	Sysctls map[string]string
	// QuietPeriod is how long the TUN must be silent for Settle to return
	// (default 30 ms).
	QuietPeriod time.Duration
	// OnPacket, if set, is called from the TUN reader goroutine with each
	// IPv4 packet the kernel sends; pkt belongs to the callee. If nil,
	// packets queue for ReadPacket and TakePackets.
	OnPacket func(pkt []byte)
}

// Host is the Linux kernel's TCP in a private network namespace, reached
// through a TUN device. Its methods are safe for concurrent use.
type Host struct {
	cfg  Config
	ns   *netns
	tun  *os.File
	diag *diag

	readerDone chan struct{}

	mu           sync.Mutex
	arrived      *sync.Cond // signalled when a packet is queued or the reader stops
	queue        [][]byte
	lastActivity time.Time // last packet read from or written to the TUN
	stats        Stats
	sockets      map[*sock]struct{} // sockets this Host opened and not yet closed
	closed       bool
}

// Stats count what crossed the TUN.
type Stats struct {
	PacketsFromKernel uint64 // IPv4 packets read from the TUN
	PacketsToKernel   uint64 // packets written to the TUN
	NonIPv4Dropped    uint64 // anything else the kernel sent (should stay 0)
}

// Open makes a Host: a new network namespace, a TUN device in it with
// cfg.Addr, up, and the namespace's sysctls set. If this process may not do
// that, the error is ErrUnavailable wrapping the reason.
func Open(cfg Config) (*Host, error) {
	if cfg.Device == "" {
		cfg.Device = defaultDevice
	}
	if !cfg.Addr.IsValid() {
		cfg.Addr = DefaultAddr
	}
	if cfg.MTU == 0 {
		cfg.MTU = defaultMTU
	}
	if cfg.QuietPeriod == 0 {
		cfg.QuietPeriod = defaultQuietPeriod
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return nil, unavailable("stat /dev/net/tun", err)
	}
	ns, err := newNetns()
	if err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, ns: ns, readerDone: make(chan struct{}), sockets: map[*sock]struct{}{}}
	h.arrived = sync.NewCond(&h.mu)
	err = ns.do(func() error {
		for _, s := range namespaceSysctls {
			if err := writeSysctl(s.Key, s.Value); err != nil {
				return err
			}
		}
		for k, v := range cfg.Sysctls {
			if err := writeSysctl(k, v); err != nil {
				return err
			}
		}
		if h.tun, err = openTUN(cfg.Device); err != nil {
			return err
		}
		if err := configureInterface(cfg.Device, cfg.Addr, cfg.MTU); err != nil {
			return err
		}
		h.diag, err = newDiag()
		return err
	})
	if err != nil {
		if h.tun != nil {
			h.tun.Close()
		}
		ns.close()
		return nil, err
	}
	go h.readTUN()
	return h, nil
}

// Addr is the Linux side's address.
func (h *Host) Addr() netip.Addr { return h.cfg.Addr.Addr() }

// Stats returns the TUN's counters.
func (h *Host) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

// Sysctl reads /proc/sys/key as the namespace sees it.
func (h *Host) Sysctl(key string) (string, error) {
	var v string
	err := h.ns.do(func() (err error) {
		v, err = readSysctl(key)
		return err
	})
	return v, err
}

// readTUN hands each packet the kernel sends to OnPacket or the queue, until
// the TUN is closed.
func (h *Host) readTUN() {
	defer close(h.readerDone)
	buf := make([]byte, maxPacket)
	for {
		n, err := h.tun.Read(buf)
		if err != nil {
			h.mu.Lock()
			h.arrived.Broadcast()
			h.mu.Unlock()
			return // closed; any other read error also ends the device
		}
		pkt := append([]byte(nil), buf[:n]...)
		h.mu.Lock()
		h.lastActivity = time.Now()
		if n == 0 || pkt[0]>>4 != 4 {
			h.stats.NonIPv4Dropped++
			h.mu.Unlock()
			continue
		}
		h.stats.PacketsFromKernel++
		if h.cfg.OnPacket == nil {
			h.queue = append(h.queue, pkt)
			h.arrived.Broadcast()
		}
		h.mu.Unlock()
		if h.cfg.OnPacket != nil {
			h.cfg.OnPacket(pkt)
		}
	}
}

// WritePacket hands the kernel one IPv4 packet, as if it had arrived on the
// TUN's link. The kernel processes it before the write returns unless the
// socket it is for is busy (then it is queued on the socket's backlog).
func (h *Host) WritePacket(pkt []byte) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	h.lastActivity = time.Now()
	h.stats.PacketsToKernel++
	h.mu.Unlock()
	if _, err := h.tun.Write(pkt); err != nil {
		return fmt.Errorf("write to TUN: %w", err)
	}
	return nil
}

// ErrNoPacket is ReadPacket's error when nothing arrived in time.
var ErrNoPacket = errors.New("no packet from the kernel")

// ReadPacket returns the next packet the kernel sent, waiting up to timeout
// (real time: the kernel runs on it). Only for a Host without OnPacket.
func (h *Host) ReadPacket(timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		h.mu.Lock()
		h.arrived.Broadcast()
		h.mu.Unlock()
	})
	defer timer.Stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.queue) == 0 {
		if h.closed {
			return nil, ErrClosed
		}
		if !time.Now().Before(deadline) {
			return nil, ErrNoPacket
		}
		h.arrived.Wait()
	}
	pkt := h.queue[0]
	h.queue[0] = nil
	h.queue = h.queue[1:]
	return pkt, nil
}

// TakePackets returns every packet queued so far and empties the queue.
func (h *Host) TakePackets() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := h.queue
	h.queue = nil
	return q
}

// Close closes every socket the Host opened that is still open, the TUN,
// the sock_diag socket and the namespace's thread. With the last fd gone the
// kernel frees the namespace, its TIME-WAIT sockets included.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	socks := make([]*sock, 0, len(h.sockets))
	for s := range h.sockets {
		socks = append(socks, s)
	}
	h.arrived.Broadcast()
	h.mu.Unlock()

	var errs []error
	for _, s := range socks {
		if err := s.close(nil); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, h.tun.Close())
	<-h.readerDone
	errs = append(errs, h.diag.close())
	h.ns.close()
	return errors.Join(errs...)
}
