package linux

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// openTUN creates the TUN device name in the calling thread's network
// namespace (the device is created in the namespace of the thread that opens
// /dev/net/tun) and returns its fd, non-blocking.
//
// IFF_TUN carries bare IP packets; IFF_NO_PI drops the 4-byte packet-info
// header, so each read or write is exactly one IP packet.
//
// The fd is not handed to Go's poller and no goroutine reads it: the Host
// reads it itself, without blocking, whenever it needs the kernel's output
// (tun_device.go says why).
func openTUN(name string) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return -1, unavailable("open /dev/net/tun", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("TUN name %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, unavailable("ioctl(TUNSETIFF)", err)
	}
	return fd, nil
}

// configureInterface gives the device name the address prefix and brings it
// up, with the ioctls ifconfig uses (no shelling out to ip). It must run in
// the namespace: the ioctls act on the namespace of the socket they go through.
//
// For IPv4, SIOCSIFNETMASK after SIOCSIFADDR re-inserts the address with its
// prefix length, and bringing the device up adds the prefix route
// (192.0.2.0/24 dev name), which is what sends the kernel's packets for the
// harness side out of the TUN. An IPv6 address is added over rtnetlink once
// the device is up (addAddress6): the ioctl cannot mark it IFA_F_NODAD.
func configureInterface(name string, prefix netip.Prefix, mtu, txQueueLen int) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return unavailable("socket for interface ioctls", err)
	}
	defer unix.Close(s)

	set := func(op string, req uint, fill func(*unix.Ifreq) error) error {
		ifr, err := unix.NewIfreq(name)
		if err != nil {
			return err
		}
		if err := fill(ifr); err != nil {
			return err
		}
		if err := unix.IoctlIfreq(s, req, ifr); err != nil {
			return fmt.Errorf("ioctl(%s) on %s: %w", op, name, err)
		}
		return nil
	}
	if prefix.Addr().Is4() {
		addr := prefix.Addr().As4()
		mask := netmask(prefix.Bits())
		if err := set("SIOCSIFADDR", unix.SIOCSIFADDR, func(ifr *unix.Ifreq) error {
			return ifr.SetInet4Addr(addr[:])
		}); err != nil {
			return err
		}
		if err := set("SIOCSIFNETMASK", unix.SIOCSIFNETMASK, func(ifr *unix.Ifreq) error {
			return ifr.SetInet4Addr(mask[:])
		}); err != nil {
			return err
		}
	}
	if mtu > 0 {
		if err := set("SIOCSIFMTU", unix.SIOCSIFMTU, func(ifr *unix.Ifreq) error {
			ifr.SetUint32(uint32(mtu))
			return nil
		}); err != nil {
			return err
		}
	}
	// The TUN's ring holds txQueueLen packets; past that the kernel drops
	// what it sends. A full congestion window must fit between two reads.
	if err := set("SIOCSIFTXQLEN", unix.SIOCSIFTXQLEN, func(ifr *unix.Ifreq) error {
		ifr.SetUint32(uint32(txQueueLen))
		return nil
	}); err != nil {
		return err
	}
	flags, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, flags); err != nil {
		return fmt.Errorf("ioctl(SIOCGIFFLAGS) on %s: %w", name, err)
	}
	up := flags.Uint16() | unix.IFF_UP | unix.IFF_RUNNING
	if err := set("SIOCSIFFLAGS", unix.SIOCSIFFLAGS, func(ifr *unix.Ifreq) error {
		ifr.SetUint16(up)
		return nil
	}); err != nil {
		return err
	}
	if prefix.Addr().Is6() {
		return addAddress6(name, prefix)
	}
	return nil
}

// netmask returns the IPv4 netmask with bits leading ones.
func netmask(bits int) [4]byte {
	m := ^uint32(0) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	return [4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
}
