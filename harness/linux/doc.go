// Package linux makes the Linux kernel's TCP a peer for tcpbed: a second
// reference stack beside gVisor's netstack.
//
// A Host is a private network namespace owned by this process, holding one
// TUN device (IFF_TUN|IFF_NO_PI) with the address 192.0.2.2/24 (TEST-NET-1,
// RFC 5737). The TUN's far side is the harness wire: every IPv4 packet the
// kernel sends out of the device is read from the TUN fd and handed to the
// harness, and every packet the harness delivers is written to the TUN fd,
// where the kernel receives it as if it came off a link. Applications on the
// Linux side are ordinary non-blocking sockets opened inside the namespace,
// so nothing the tests do touches the machine's own network.
//
// Why a namespace: it gives the kernel an address space of its own (no
// route, socket, sysctl or firewall rule of the machine applies in it), and it
// disappears with its last reference, so no cleanup survives a crash.
//
// Time: Linux runs on real time. Its timers (delayed ACK, RTO, TIME-WAIT's
// 60 s) cannot follow the harness's virtual clock. Host.Settle is the one
// place this package waits on real time: it returns once the TUN has been
// quiet for a short period (QuietPeriod). Tests should not decide pass or
// fail by it; they should observe (poll a socket's state or the TUN until the
// expected thing happens, with a generous timeout), which WaitState does.
//
// Sysctls set inside the namespace (they affect only it; see sysctl.go):
//   - net.ipv6.conf.{all,default}.disable_ipv6 = 1, so the kernel sends no
//     IPv6 router solicitations or MLD reports down the TUN;
//   - net.ipv4.tcp_congestion_control = reno: RFC 5681's algorithm, always
//     built in and allowed in every namespace, where a machine's choice
//     (often bbr) would pace segments on a timer;
//   - net.ipv4.tcp_timestamps = 1, tcp_sack = 1, tcp_window_scaling = 1,
//     tcp_syncookies = 1, tcp_ecn = 2: written at Linux's defaults so a run
//     does not depend on how the machine was tuned.
package linux
