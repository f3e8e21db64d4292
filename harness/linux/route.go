package linux

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// setRoutes sends everything the namespace addresses to anyone out of the
// TUN: the prefix route the kernel made for the TUN's address is replaced,
// and a default route through the TUN is added, so that Linux answers a
// segment from any address (a raw peer's spoofed sources, say), not only
// from the prefix. Call it on the namespace's thread, after the device is up.
//
// Unless delayedACK, both routes carry the quickack metric (what `ip route
// replace 192.0.2.0/24 dev tcpbed0 quickack 1` does), so that Linux ACKs
// every segment at once instead of delaying ACKs for 40-200 ms of real time.
// A delayed ACK is a real-time timer the harness's virtual clock cannot
// advance; without it, everything Linux sends in answer to a packet is sent
// while the packet is processed, which tun_device.go's barrier catches.
//
// The same holds for IPv6 (the quickack metric is the route's, whatever its
// family: tcp_in_quickack_mode in net/ipv4/tcp_input.c reads it from the
// dst), where the address was added without a prefix route (address.go), so
// the /64 here is the only one.
func setRoutes(device string, addr netip.Prefix, delayedACK bool) error {
	ifindex, err := ifIndex(device)
	if err != nil {
		return err
	}
	if err := addRoute(ifindex, addr.Masked(), addr.Addr(), unix.RTPROT_KERNEL, !delayedACK); err != nil {
		return fmt.Errorf("route %v dev %s: %w", addr.Masked(), device, err)
	}
	unspecified := netip.IPv4Unspecified()
	if addr.Addr().Is6() {
		unspecified = netip.IPv6Unspecified()
	}
	if err := addRoute(ifindex, netip.PrefixFrom(unspecified, 0), addr.Addr(), unix.RTPROT_BOOT, !delayedACK); err != nil {
		return fmt.Errorf("default route dev %s: %w", device, err)
	}
	return nil
}

// ifIndex is the interface index of device. Call it on the namespace's
// thread.
func ifIndex(device string) (uint32, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, os.NewSyscallError("socket", err)
	}
	ifr, err := unix.NewIfreq(device)
	if err == nil {
		err = unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr)
	}
	unix.Close(s)
	if err != nil {
		return 0, fmt.Errorf("ifindex of %s: %w", device, err)
	}
	return ifr.Uint32(), nil
}

// addRoute adds, or replaces, the link-scope route dst via the interface
// ifindex with preferred source src, in their family.
func addRoute(ifindex uint32, dst netip.Prefix, src netip.Addr, proto uint8, quickACK bool) error {
	// struct rtmsg, then the attributes.
	msg := []byte{
		addrFamily(src),    // rtm_family
		byte(dst.Bits()),   // rtm_dst_len
		0,                  // rtm_src_len
		0,                  // rtm_tos
		unix.RT_TABLE_MAIN, // rtm_table
		proto,              // rtm_protocol
		unix.RT_SCOPE_LINK, // rtm_scope
		unix.RTN_UNICAST,   // rtm_type
		0, 0, 0, 0,         // rtm_flags
	}
	if dst.Bits() > 0 {
		msg = appendAttr(msg, unix.RTA_DST, dst.Addr().AsSlice())
	}
	msg = appendAttr(msg, unix.RTA_PREFSRC, src.AsSlice())
	msg = appendAttr(msg, unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, ifindex))
	if quickACK {
		metrics := appendAttr(nil, unix.RTAX_QUICKACK, binary.NativeEndian.AppendUint32(nil, 1))
		msg = appendAttr(msg, unix.RTA_METRICS, metrics)
	}
	return rtnetlinkDo(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, msg)
}

// addrFamily is a's address family, as rtnetlink messages name it.
func addrFamily(a netip.Addr) byte {
	if a.Is6() {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

// appendAttr appends one netlink attribute (struct rtattr), padded to 4.
func appendAttr(b []byte, typ uint16, value []byte) []byte {
	l := unix.SizeofRtAttr + len(value)
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, value...)
	for l%4 != 0 {
		b = append(b, 0)
		l++
	}
	return b
}

// rtnetlinkDo sends one rtnetlink request with NLM_F_ACK and returns the
// kernel's verdict. Call it on the namespace's thread: the socket, and so
// the request, belong to the namespace the socket is made in.
func rtnetlinkDo(typ uint16, flags uint16, body []byte) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return os.NewSyscallError("socket(NETLINK_ROUTE)", err)
	}
	defer unix.Close(fd)
	req := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	req = append(req, body...)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], typ)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|flags)
	binary.NativeEndian.PutUint32(req[8:], 1)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return os.NewSyscallError("rtnetlink send", err)
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return os.NewSyscallError("rtnetlink receive", err)
	}
	if n < unix.NLMSG_HDRLEN+4 || binary.NativeEndian.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return fmt.Errorf("rtnetlink: unexpected reply of %d bytes", n)
	}
	if errno := int32(binary.NativeEndian.Uint32(buf[unix.NLMSG_HDRLEN:])); errno != 0 {
		return fmt.Errorf("rtnetlink: %w", unix.Errno(-errno))
	}
	return nil
}
