// Package linux makes the Linux kernel's TCP a peer for tcpbed: a second
// reference stack beside gVisor's netstack.
//
// A Host is a private network namespace owned by this process, holding one
// TUN device (IFF_TUN|IFF_NO_PI) with the address 192.0.2.2/24 (TEST-NET-1,
// RFC 5737), or an IPv6 one (2001:db8::2/64, RFC 3849; its sockets are then
// IPv6 ones). The TUN's far side is the harness wire: every IP packet the
// kernel sends out of the device is read from the TUN fd and handed to the
// harness (over IPv6, TCP and ICMPv6 errors only: IPv6's own housekeeping is
// switched off, and dropped should any still come), and every packet the
// harness delivers is written to the TUN fd,
// where the kernel receives it as if it came off a link. Applications on the
// Linux side are ordinary non-blocking sockets opened inside the namespace,
// so nothing the tests do touches the machine's own network.
//
// Why a namespace: it gives the kernel an address space of its own (no
// route, socket, sysctl or firewall rule of the machine applies in it), and it
// disappears with its last reference, so no cleanup survives a crash.
//
// As a harness peer (NewPeer), a Host is one end of a harness.Net:
//
//	n, err := harness.NewNet(harness.Config{
//		Client: linux.NewPeer(linux.Config{}),
//		Server: gvisor.NewPeer(gvisor.Options{}),
//	})
//	if errors.Is(err, linux.ErrUnavailable) { /* skip, err says why */ }
//
// Time: Linux runs on real time, and its timers cannot follow the harness's
// virtual clock. What Linux does at once is exact, though: a packet written
// to the TUN is processed inside the write, and whatever the kernel sends in
// answer is on the TUN before the write returns, so the Host reads the TUN
// itself, without a goroutine, and reading it to EAGAIN is a barrier
// (tun_device.go). The peer's Settle is that barrier plus a state poll, and
// costs no real-time wait. Linux's timers are mirrored onto the virtual
// clock from sock_diag (peer_timers.go): when virtual time reaches one, the
// peer waits in real time for the kernel to fire it, so a scenario with Linux
// spends as much real time as Linux's own timers that it runs into (a lost
// SYN: 1 s). TIME-WAIT (60 s, fixed in Linux) is not mirrored.
//
// Host.Settle, for tests that drive a Host without a Net, is the barrier
// plus a quiet period (QuietPeriod, 20 ms) with nothing from the kernel: a
// real-time wait. Tests must not decide pass or fail by it; they observe
// instead (poll a socket's state or the TUN until the expected thing
// happens, with a generous timeout), which WaitState and ReadPacket do.
//
// Linux is not replayable bit for bit: its ISNs, timestamp offsets and
// ephemeral ports come from the kernel's own secrets, not from the Net's
// seed, and its timers fire on the real clock (to the kernel's jiffy: a
// mirrored timer may land one jiffy, 4 ms at HZ=250, early).
//
// To make Linux's answers immediate, the TUN's route carries the quickack
// metric (no delayed ACKs; Config.DelayedACK keeps them), and these sysctls
// are set inside the namespace, where they affect nothing else (sysctl.go
// says why each):
//   - for an IPv4 Host net.ipv6.conf.{all,default}.disable_ipv6 = 1 (no IPv6
//     chatter on the TUN); for an IPv6 one IPv6 on, with no link-local
//     address (addr_gen_mode = 1), no DAD (accept_dad = 0; the address is
//     added IFA_F_NODAD too), no router solicitations or advertisements and
//     no autoconf (router_solicitations, accept_ra, autoconf = 0);
//   - net.ipv4.tcp_congestion_control = reno (RFC 5681; no pacing timer);
//   - net.ipv4.tcp_early_retrans = 0 (no tail loss probes);
//   - net.ipv4.tcp_slow_start_after_idle = 0;
//   - net.ipv4.tcp_autocorking = 0;
//   - net.ipv4.tcp_invalid_ratelimit = 0 (every challenge ACK is sent);
//   - net.ipv4.tcp_no_metrics_save = 1;
//   - tcp_timestamps, tcp_sack, tcp_window_scaling, tcp_syncookies = 1 and
//     tcp_ecn = 2, written at Linux's defaults so a run does not depend on
//     how the machine was tuned;
//   - net.ipv4.ip_local_port_range = 49152 65535 (IANA's dynamic ports, as
//     the other peers use, where no dissector claims a client port).
package linux
