package linux

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// setQuickACK replaces the prefix route the kernel made for the TUN's
// address with the same route carrying the quickack metric (what `ip route
// replace 192.0.2.0/24 dev tcpbed0 quickack 1` does), so that Linux ACKs
// every segment at once instead of delaying ACKs for 40-200 ms of real time.
// A delayed ACK is a real-time timer the harness's virtual clock cannot
// advance; without it, everything Linux sends in answer to a packet is sent
// while the packet is processed, which tun_device.go's barrier catches.
// Call it on the namespace's thread, after the device is up.
func setQuickACK(device string, prefix netip.Prefix) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	ifr, err := unix.NewIfreq(device)
	if err == nil {
		err = unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr)
	}
	unix.Close(s)
	if err != nil {
		return fmt.Errorf("ifindex of %s: %w", device, err)
	}
	ifindex := ifr.Uint32()

	// struct rtmsg, then the attributes.
	rtm := []byte{
		unix.AF_INET,        // rtm_family
		byte(prefix.Bits()), // rtm_dst_len
		0,                   // rtm_src_len
		0,                   // rtm_tos
		unix.RT_TABLE_MAIN,  // rtm_table
		unix.RTPROT_KERNEL,  // rtm_protocol, as the route it replaces
		unix.RT_SCOPE_LINK,  // rtm_scope
		unix.RTN_UNICAST,    // rtm_type
		0, 0, 0, 0,          // rtm_flags
	}
	dst := prefix.Masked().Addr().As4()
	src := prefix.Addr().As4()
	msg := append([]byte(nil), rtm...)
	msg = appendAttr(msg, unix.RTA_DST, dst[:])
	msg = appendAttr(msg, unix.RTA_PREFSRC, src[:])
	msg = appendAttr(msg, unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, ifindex))
	quickack := appendAttr(nil, unix.RTAX_QUICKACK, binary.NativeEndian.AppendUint32(nil, 1))
	msg = appendAttr(msg, unix.RTA_METRICS, quickack)
	return rtnetlinkDo(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, msg)
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
