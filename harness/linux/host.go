package linux

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// Defaults for Config's zero fields.
var (
	// DefaultAddr is the Linux side's address on the TUN: TEST-NET-1
	// (RFC 5737), never routed anywhere.
	DefaultAddr = netip.MustParsePrefix("192.0.2.2/24")
	// DefaultHarnessAddr is the address the harness's side of the wire
	// uses; packets for it leave through the TUN.
	DefaultHarnessAddr = netip.MustParseAddr("192.0.2.1")
	// DefaultAddr6 and DefaultHarnessAddr6 are the same for IPv6, from
	// the documentation prefix (RFC 3849), as the harness numbers its
	// IPv6 wire.
	DefaultAddr6        = netip.MustParsePrefix("2001:db8::2/64")
	DefaultHarnessAddr6 = netip.MustParseAddr("2001:db8::1")
)

const (
	defaultDevice      = "tcpbed0"
	defaultMTU         = 1500
	defaultTxQueueLen  = 8192
	defaultQuietPeriod = 20 * time.Millisecond
	maxPacket          = 1 << 16
	ipv6MinMTU         = 1280 // RFC 8200 5
)

// Config configures a Host. The zero Config is a working one.
type Config struct {
	// Device is the TUN's name (default "tcpbed0"); it exists only inside
	// the namespace, so every Host can use the same name.
	Device string
	// Addr is the Linux side's address and prefix (default 192.0.2.2/24),
	// IPv4 or IPv6 (DefaultAddr6): the Host's sockets are of its family.
	// Packets for any other address leave through the TUN (route.go).
	Addr netip.Prefix
	// MTU of the TUN (default 1500), so Linux's MSS is 1460.
	MTU int
	// TxQueueLen is how many packets the TUN holds for the harness to read
	// (default 8192); the kernel drops what it sends past that.
	TxQueueLen int
	// TCP are the scenario's wishes of every stack, translated into
	// sysctls (peers only; see tcpSysctls).
	TCP harness.TCPSettings
	// Sysctls are written inside the namespace after namespaceSysctls,
	// keys as paths below /proc/sys ("net/ipv4/tcp_sack": "0").
	Sysctls map[string]string
	// DelayedACK keeps Linux's delayed ACKs. By default the TUN's route
	// carries the quickack metric and Linux ACKs every segment at once
	// (route.go says why).
	DelayedACK bool
	// QuietPeriod is how long the TUN must stay silent for Host.Settle to
	// return (default 20 ms), and how long past a mirrored timer's deadline
	// the peer waits for the kernel to fire it (plus the kernel's slack).
	QuietPeriod time.Duration
	// MirrorTimeWait (peers only) mirrors TIME-WAIT's timer onto the
	// virtual clock too, so that a scenario that waits out 2MSL sees Linux
	// leave TIME-WAIT, at the price of Linux's fixed 60 s of real time.
	MirrorTimeWait bool
}

// Host is the Linux kernel's TCP in a private network namespace, reached
// through a TUN device. Its methods are safe for concurrent use.
type Host struct {
	cfg  Config
	ns   *netns
	tun  *tunDevice
	diag *diag

	mu      sync.Mutex
	queue   [][]byte // packets the kernel sent, read off the TUN, not yet taken
	stats   Stats
	sockets map[*sock]struct{} // sockets this Host opened and not yet closed
	closed  bool
}

// Stats count what crossed the TUN.
type Stats struct {
	PacketsFromKernel uint64 // packets read from the TUN and queued (ofTheRun)
	PacketsToKernel   uint64 // packets written to the TUN
	// Dropped counts anything else the kernel sent: not IP, or IPv6
	// neither TCP nor an ICMPv6 error (should stay 0; see ofTheRun).
	Dropped uint64
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
	if cfg.TxQueueLen == 0 {
		cfg.TxQueueLen = defaultTxQueueLen
	}
	if cfg.QuietPeriod == 0 {
		cfg.QuietPeriod = defaultQuietPeriod
	}
	if cfg.Addr.Addr().Is6() && cfg.MTU < ipv6MinMTU {
		// Linux takes IPv6 off a device whose MTU falls below the
		// minimum (addrconf_notify in net/ipv6/addrconf.c).
		return nil, fmt.Errorf("linux: an MTU of %d over IPv6: %w (RFC 8200 5: every IPv6 link carries %d bytes)", cfg.MTU, harness.ErrUnsupported, ipv6MinMTU)
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return nil, unavailable("stat /dev/net/tun", err)
	}
	ns, err := newNetns()
	if err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, ns: ns, sockets: map[*sock]struct{}{}}
	err = ns.do(func() error {
		for _, s := range slices.Concat(familySysctls(cfg.Addr.Addr()), namespaceSysctls) {
			if err := writeSysctl(s.Key, s.Value); err != nil {
				return err
			}
		}
		for k, v := range cfg.Sysctls {
			if err := writeSysctl(k, v); err != nil {
				return err
			}
		}
		fd, err := openTUN(cfg.Device)
		if err != nil {
			return err
		}
		h.tun = newTUNDevice(fd)
		if err := configureInterface(cfg.Device, cfg.Addr, cfg.MTU, cfg.TxQueueLen); err != nil {
			return err
		}
		if err := setRoutes(cfg.Device, cfg.Addr, cfg.DelayedACK); err != nil {
			return err
		}
		h.diag, err = newDiag(h.family())
		return err
	})
	if err != nil {
		if h.tun != nil {
			h.tun.close()
		}
		ns.close()
		return nil, err
	}
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

// WritePacket hands the kernel one IP packet, as if it had arrived on the
// TUN's link. The kernel processes it before the write returns, and what it
// sends in answer is queued for TakePackets before WritePacket returns.
func (h *Host) WritePacket(pkt []byte) error {
	if err := h.tun.write(pkt); err != nil {
		return err
	}
	h.mu.Lock()
	h.stats.PacketsToKernel++
	h.mu.Unlock()
	return h.pump()
}

// pump moves every packet on the TUN's ring to the queue.
func (h *Host) pump() error {
	return h.tun.drain(func(pkt []byte) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if !ofTheRun(pkt) {
			h.stats.Dropped++
			return
		}
		h.stats.PacketsFromKernel++
		h.queue = append(h.queue, pkt)
	})
}

// ofTheRun reports whether a packet the kernel sent belongs to the run:
// any IPv4 packet, and over IPv6 TCP and the ICMPv6 error messages (types
// below 128, RFC 4443 2.1: what Linux sends about a packet it could not
// process). IPv6's own housekeeping (neighbour discovery, router
// solicitations, MLD reports, which the namespace's sysctls already
// silence) would otherwise reach the trace, and the other peers send none.
func ofTheRun(pkt []byte) bool {
	switch {
	case len(pkt) > 0 && pkt[0]>>4 == 4:
		return true
	case len(pkt) < ipv6Header || pkt[0]>>4 != 6:
		return false
	case pkt[ipv6NextOff] == protoTCP:
		return true
	case pkt[ipv6NextOff] == protoICMPv6:
		return len(pkt) > ipv6Header && pkt[ipv6Header] < 128
	}
	return false
}

// TakePackets returns, in order, every packet the kernel has sent and not
// yet been taken, and empties the queue. It does not wait.
func (h *Host) TakePackets() ([][]byte, error) {
	err := h.pump()
	h.mu.Lock()
	defer h.mu.Unlock()
	q := h.queue
	h.queue = nil
	return q, err
}

// ErrNoPacket is ReadPacket's error when nothing arrived in time.
var ErrNoPacket = errors.New("no packet from the kernel")

// ReadPacket returns the next packet the kernel sent, waiting up to timeout
// (real time: the kernel's timers run on it).
func (h *Host) ReadPacket(timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	for {
		if err := h.pump(); err != nil {
			return nil, err
		}
		h.mu.Lock()
		if len(h.queue) > 0 {
			pkt := h.queue[0]
			h.queue[0] = nil
			h.queue = h.queue[1:]
			h.mu.Unlock()
			return pkt, nil
		}
		h.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			return nil, ErrNoPacket
		}
		if _, err := h.tun.wait(left); err != nil {
			return nil, err
		}
	}
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
	h.mu.Unlock()

	var errs []error
	for _, s := range socks {
		if err := s.close(nil); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, h.tun.close(), h.diag.close())
	h.ns.close()
	return errors.Join(errs...)
}
