package linux

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// addAddress6 gives device the IPv6 address prefix over rtnetlink (what `ip
// -6 addr add 2001:db8::2/64 dev tcpbed0 nodad noprefixroute` does). Call it
// on the namespace's thread, after the device is up.
//
// IFA_F_NODAD: without duplicate address detection (RFC 4862 5.4) the
// address is usable at once; a tentative one refuses to be bound or
// connected from (EADDRNOTAVAIL) until DAD ends, a second of real time
// later. IFA_F_NOPREFIXROUTE: the kernel's prefix route would carry metric
// 256 (IP6_RT_PRIO_ADDRCONF) and win over setRoutes' own, which has metric
// 1024 and the quickack metric.
func addAddress6(device string, prefix netip.Prefix) error {
	ifindex, err := ifIndex(device)
	if err != nil {
		return err
	}
	const flags = unix.IFA_F_NODAD | unix.IFA_F_NOPREFIXROUTE
	// struct ifaddrmsg, then the attributes.
	msg := []byte{
		unix.AF_INET6,          // ifa_family
		byte(prefix.Bits()),    // ifa_prefixlen
		unix.IFA_F_NODAD,       // ifa_flags (8 bits; IFA_FLAGS has them all)
		unix.RT_SCOPE_UNIVERSE, // ifa_scope
	}
	msg = binary.NativeEndian.AppendUint32(msg, ifindex) // ifa_index
	addr := prefix.Addr().AsSlice()
	msg = appendAttr(msg, unix.IFA_LOCAL, addr)
	msg = appendAttr(msg, unix.IFA_ADDRESS, addr)
	msg = appendAttr(msg, unix.IFA_FLAGS, binary.NativeEndian.AppendUint32(nil, flags))
	if err := rtnetlinkDo(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, msg); err != nil {
		return fmt.Errorf("address %v dev %s: %w", prefix, device, err)
	}
	return waitAddressUsable(prefix.Addr())
}

// addressReadyTimeout bounds waitAddressUsable; the kernel's worker takes
// microseconds.
const addressReadyTimeout = time.Second

// waitAddressUsable returns once the kernel has finished adding addr: even
// with IFA_F_NODAD the address stays tentative, and has no local route,
// until a workqueue runs addrconf_dad_begin and addrconf_dad_completed
// (net/ipv6/addrconf.c) after RTM_NEWADDR returns. A segment to it in the
// meantime is dropped, unanswered. Ready is when a UDP socket binds to addr
// (ipv6_chk_addr refuses a tentative address) and connects to it (the route
// lookup finds the local route: there is no other route yet).
func waitAddressUsable(addr netip.Addr) error {
	deadline := time.Now().Add(addressReadyTimeout)
	for {
		err := probeAddress(addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("address %v not usable after %v: %w", addr, addressReadyTimeout, err)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// probeAddress binds a UDP socket to addr and connects it to addr (which
// sends nothing).
func probeAddress(addr netip.Addr) error {
	s, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(s)
	if err := unix.Bind(s, sockaddr(netip.AddrPortFrom(addr, 0))); err != nil {
		return os.NewSyscallError("bind", err)
	}
	if err := unix.Connect(s, sockaddr(netip.AddrPortFrom(addr, 9))); err != nil {
		return os.NewSyscallError("connect", err)
	}
	return nil
}
