package linux

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"golang.org/x/sys/unix"
)

// diag asks the kernel, over netlink sock_diag (inet_diag), for the TCP
// sockets of the namespace. It is how a connection's state is read once no fd
// refers to it any more: TIME-WAIT, an orphaned FIN-WAIT-2 or LAST-ACK, a
// SYN-RECEIVED request socket not yet accepted. The netlink socket is made in
// the namespace, so it sees that namespace's sockets and no others.
type diag struct {
	family uint8 // AF_INET or AF_INET6: the namespace's sockets are of one
	mu     sync.Mutex
	fd     int
	seq    uint32
	buf    []byte
}

// Sizes of the inet_diag structures (include/uapi/linux/inet_diag.h).
const (
	inetDiagSockIDLen = 48 // ports 2+2, src 16, dst 16, ifindex 4, cookie 8
	inetDiagReqV2Len  = 8 + inetDiagSockIDLen
	inetDiagMsgLen    = 4 + inetDiagSockIDLen + 20
	allTCPStates      = 0xffffffff
)

// newDiag opens the sock_diag socket for TCP sockets of family (AF_INET or
// AF_INET6: inet_diag answers one family per request); call it on the
// namespace's thread.
func newDiag(family int) (*diag, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("netlink sock_diag socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink sock_diag bind: %w", err)
	}
	return &diag{family: uint8(family), fd: fd, buf: make([]byte, 1<<16)}, nil
}

func (d *diag) close() error { return unix.Close(d.fd) }

// diagSocket is one socket sock_diag reported.
type diagSocket struct {
	ID    harness.FourTuple // Local is the namespace's end
	State uint8             // Linux state (state.go)
	// Timer is what sock_diag says is pending (diagTimer*), and Expires
	// how long until it fires (0 when it is already due).
	Timer   uint8
	Expires time.Duration
	// Retrans is idiag_retrans: retransmissions (or probes) of the pending
	// timer's kind for a full socket, SYN-ACK retransmissions for a request
	// socket.
	Retrans uint8
	// BytesAcked is tcp_info's tcpi_bytes_acked (full sockets only): it
	// moves whenever an ACK advances SND.UNA, which is when Linux re-arms
	// its retransmission timer.
	BytesAcked uint64
}

// signature is what changes when the kernel re-arms a connection's timer
// for a reason of its own (a state change, an ACK of new data, a backoff),
// even when the new deadline is, on the real clock, close to the old one.
func (s diagSocket) signature() diagSignature {
	return diagSignature{State: s.State, Timer: s.Timer, Retrans: s.Retrans, BytesAcked: s.BytesAcked}
}

// diagSignature: see diagSocket.signature.
type diagSignature struct {
	State, Timer, Retrans uint8
	BytesAcked            uint64
}

// INET_DIAG_INFO (include/uapi/linux/inet_diag.h) asks for, and tags, a
// struct tcp_info after the message; tcpi_bytes_acked is at byte 120 of it
// (include/uapi/linux/tcp.h: 8 bytes of u8 fields, 24 u32s, two u64 rates).
const (
	inetDiagInfo          = 2
	tcpInfoBytesAckedOff  = 120
	tcpInfoBytesAckedSize = 8
)

// The timers sock_diag reports in idiag_timer.
const (
	diagTimerNone      uint8 = 0
	diagTimerRetrans   uint8 = 1 // retransmission, RACK reordering, SYN-ACK of a request socket
	diagTimerKeepalive uint8 = 2 // sk_timer: keepalive, orphaned FIN-WAIT-2
	diagTimerTimeWait  uint8 = 3
	diagTimerProbe0    uint8 = 4 // zero-window probe (persist)
)

// dump returns every TCP socket of the namespace in its family, in every state
// (listeners, request sockets and TIME-WAIT ones included). It is slow: the
// kernel walks its whole TCP hash table, which all namespaces share (some
// 750 us on a machine with a large table), so the peer looks connections up
// one by one instead (lookup).
func (d *diag) dump() ([]diagSocket, error) {
	return d.request(unix.NLM_F_DUMP, harness.FourTuple{})
}

// lookup returns the socket of the connection id (Local is the namespace's
// end) and false if the namespace has none. It is one hash lookup in the
// kernel (inet_diag_find_one_icsk), for connections, request sockets and
// TIME-WAIT ones alike. A tuple with RemotePort 0 names a listener.
func (d *diag) lookup(id harness.FourTuple) (diagSocket, bool, error) {
	socks, err := d.request(0, id)
	if errors.Is(err, unix.ENOENT) {
		return diagSocket{}, false, nil
	}
	if err != nil {
		return diagSocket{}, false, err
	}
	// With no connection for id, the kernel's lookup falls back to a
	// listener on the local port; that is not id.
	for _, s := range socks {
		if s.ID == id {
			return s, true, nil
		}
	}
	return diagSocket{}, false, nil
}

// request sends one SOCK_DIAG_BY_FAMILY request for TCP sockets of d.family in
// every state: a dump when flags has NLM_F_DUMP, else an exact lookup of id.
func (d *diag) request(flags uint16, id harness.FourTuple) ([]diagSocket, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	req := make([]byte, unix.NLMSG_HDRLEN+inetDiagReqV2Len)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|flags)
	binary.NativeEndian.PutUint32(req[8:], d.seq)
	r := req[unix.NLMSG_HDRLEN:]
	r[0] = d.family
	r[1] = unix.IPPROTO_TCP
	r[2] = 1 << (inetDiagInfo - 1) // idiag_ext: include tcp_info
	binary.NativeEndian.PutUint32(r[4:], allTCPStates)
	if flags&unix.NLM_F_DUMP == 0 {
		putDiagSockID(r[8:], id)
	}
	if err := unix.Sendto(d.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sock_diag request: %w", err)
	}
	var out []diagSocket
	for {
		n, _, err := unix.Recvfrom(d.fd, d.buf, 0)
		if err != nil {
			return nil, fmt.Errorf("sock_diag reply: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(d.buf[:n])
		if err != nil {
			return nil, fmt.Errorf("sock_diag reply: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != d.seq {
				continue // a late reply to an earlier, failed request
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
						return nil, fmt.Errorf("sock_diag: %w", unix.Errno(-errno))
					}
				}
				return out, nil // an acknowledgment
			case unix.SOCK_DIAG_BY_FAMILY:
				s, err := parseInetDiagMsg(m.Data)
				if err != nil {
					return nil, err
				}
				out = append(out, s)
				if flags&unix.NLM_F_DUMP == 0 {
					return out, nil // a lookup has one answer and no DONE
				}
			}
		}
	}
}

// putDiagSockID writes struct inet_diag_sockid for an exact lookup: ports
// and addresses in network byte order, any interface, and the cookie
// INET_DIAG_NOCOOKIE (all ones), which matches any socket. The address
// fields are 16 bytes each, an IPv4 address in the first 4 of them.
func putDiagSockID(b []byte, id harness.FourTuple) {
	binary.BigEndian.PutUint16(b[0:], id.LocalPort)
	binary.BigEndian.PutUint16(b[2:], id.RemotePort)
	copy(b[4:20], id.LocalAddr.AsSlice())
	copy(b[20:36], id.RemoteAddr.AsSlice())
	binary.NativeEndian.PutUint32(b[40:], ^uint32(0))
	binary.NativeEndian.PutUint32(b[44:], ^uint32(0))
}

// parseInetDiagMsg reads struct inet_diag_msg. Ports and addresses are in
// network byte order; the rest in the host's.
func parseInetDiagMsg(b []byte) (diagSocket, error) {
	if len(b) < inetDiagMsgLen {
		return diagSocket{}, fmt.Errorf("sock_diag: message of %d bytes, want %d", len(b), inetDiagMsgLen)
	}
	id := b[4:]
	expires := binary.NativeEndian.Uint32(b[4+inetDiagSockIDLen:])
	s := diagSocket{
		State:   b[1],
		Timer:   b[2],
		Retrans: b[3],
		Expires: time.Duration(expires) * time.Millisecond,
		ID:      diagFourTuple(b[0], id),
	}
	// The attributes (struct rtattr, each padded to 4 bytes) follow.
	for a := b[inetDiagMsgLen:]; len(a) >= unix.SizeofRtAttr; {
		l := int(binary.NativeEndian.Uint16(a[0:]))
		typ := binary.NativeEndian.Uint16(a[2:])
		if l < unix.SizeofRtAttr || l > len(a) {
			break // malformed: keep what was read
		}
		if data := a[unix.SizeofRtAttr:l]; typ == inetDiagInfo && len(data) >= tcpInfoBytesAckedOff+tcpInfoBytesAckedSize {
			s.BytesAcked = binary.NativeEndian.Uint64(data[tcpInfoBytesAckedOff:])
		}
		l = (l + 3) &^ 3
		if l > len(a) {
			break
		}
		a = a[l:]
	}
	return s, nil
}

// diagFourTuple reads struct inet_diag_sockid of a socket of family
// (idiag_family): 16-byte addresses for AF_INET6, the first 4 of them for
// AF_INET. A listener's remote end is all zeros; it comes back as the zero
// netip.Addr, as the harness names a listener ({LocalAddr, LocalPort} and
// nothing else).
func diagFourTuple(family uint8, id []byte) harness.FourTuple {
	ft := harness.FourTuple{
		LocalPort:  binary.BigEndian.Uint16(id[0:]),
		RemotePort: binary.BigEndian.Uint16(id[2:]),
		LocalAddr:  netip.AddrFrom4([4]byte(id[4:8])),
		RemoteAddr: netip.AddrFrom4([4]byte(id[20:24])),
	}
	if family == unix.AF_INET6 {
		ft.LocalAddr = netip.AddrFrom16([16]byte(id[4:20]))
		ft.RemoteAddr = netip.AddrFrom16([16]byte(id[20:36]))
	}
	if ft.RemotePort == 0 && ft.RemoteAddr.IsUnspecified() {
		ft.RemoteAddr = netip.Addr{}
	}
	return ft
}
