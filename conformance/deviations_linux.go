package conformance

// The known departures of Linux's TCP from the RFCs, each with the rule,
// what Linux does instead and the run that shows it. A scenario accepts one
// only at a Linux end (Env.Deviates).

// LinuxRSTEndsTimeWait: net.ipv4.tcp_rfc1337 defaults to 0, and
// tcp_timewait_state_process then kills the TIME-WAIT socket on a RST.
var LinuxRSTEndsTimeWait = RegisterDeviation(Deviation{
	Name:     "linux-rst-ends-time-wait",
	Peer:     Linux,
	RFC:      "RFC 1337 3 (fix 1: ignore RST segments in TIME-WAIT)",
	Expected: "a RST in TIME-WAIT is ignored; the connection holds TIME-WAIT for 2MSL",
	Instead:  "ends TIME-WAIT at once: CLOSED on the RST (net.ipv4.tcp_rfc1337=0, the default; RFC 9293 3.10.7.4's own text for TIME-WAIT)", Source: "tcp_timewait_state_process in net/ipv4/tcp_minisocks.c: with net.ipv4.tcp_rfc1337 = 0 (the default) a RST kills the TIME-WAIT socket",
	Shown: "go run ./cmd/tcpbed run time-wait-old-duplicate --client linux --server gvisor --seed 1",
})

// LinuxCloseWaitRSTIsEPIPE: tcp_reset sets EPIPE, not ECONNRESET, for a
// socket in CLOSE-WAIT.
var LinuxCloseWaitRSTIsEPIPE = RegisterDeviation(Deviation{
	Name:     "linux-close-wait-rst-reports-epipe",
	Peer:     Linux,
	RFC:      "RFC 9293 3.10.7.4 (RST in CLOSE-WAIT: SENDs \"should receive \"reset\" responses\")",
	Expected: "after a RST in CLOSE-WAIT, Write reports connection reset (ECONNRESET)",
	Instead:  "reports a broken pipe (EPIPE) on Write (tcp_reset: sk_err = EPIPE in CLOSE-WAIT)", Source: "tcp_reset in net/ipv4/tcp_input.c: sk_err = EPIPE for a socket in CLOSE_WAIT",
	Shown: "go run ./cmd/tcpbed run data-after-close --client gvisor --server linux --seed 1",
})

// LinuxSYNLinearBackoff: net.ipv4.tcp_syn_linear_timeouts (4 by default in
// recent kernels) keeps the first SYN retransmissions 1 s apart.
var LinuxSYNLinearBackoff = RegisterDeviation(Deviation{
	Name:     "linux-syn-linear-backoff",
	Peer:     Linux,
	RFC:      "RFC 6298 5.5 (back off the timer: RTO = RTO * 2)",
	Expected: "SYN retransmissions 1 s, 2 s, 4 s ... apart",
	Instead:  "retransmits the SYN at 1 s intervals for the first retries (tcp_syn_linear_timeouts), doubling only after", Source: "tcp_retransmit_timer and the net.ipv4.tcp_syn_linear_timeouts sysctl (net/ipv4/tcp_timer.c): the first SYN retransmissions keep the initial RTO",
	Shown: "go run ./cmd/tcpbed run syn-retransmit --client linux --server gvisor --seed 1",
})

// LinuxSYNAfterBadACK: Linux answers an unacceptable ACK in SYN-SENT with
// the RST and then retransmits its SYN at once (tcp_rcv_synsent_state_process
// resets the retransmission timer to TCP_TIMEOUT_MIN).
var LinuxSYNAfterBadACK = RegisterDeviation(Deviation{
	Name:     "linux-syn-resent-after-bad-ack",
	Peer:     Linux,
	RFC:      "RFC 9293 3.10.7.3 (SYN-SENT, bad ACK: send a reset, discard the segment) and RFC 6298 5 (retransmit when the timer expires)",
	Expected: "the SYN retransmission timer untouched: the next SYN one initial RTO (1 s) after the first",
	Instead:  "retransmits the SYN within a few milliseconds of the unacceptable ACK", Source: "tcp_rcv_synsent_state_process in net/ipv4/tcp_input.c: after the RST for an unacceptable ACK the SYN is sent again at once",
	Shown: "go run ./cmd/tcpbed run syn-sent-bad-ack --client linux --server gvisor --seed 1",
})

// LinuxSYNACKTextDropped: Linux's SYN-SENT processing drops the text of a
// SYN-ACK (it acknowledges only the SYN; the peer sends the text again).
var LinuxSYNACKTextDropped = RegisterDeviation(Deviation{
	Name:     "linux-synack-text-dropped",
	Peer:     Linux,
	RFC:      "RFC 9293 3.10.7.3 (SYN-SENT: \"If there are other controls or text in the segment, then continue processing at the sixth step\")",
	Expected: "the text in a SYN-ACK is queued and acknowledged: ack = y+1+len",
	Instead:  "acknowledges only the SYN (ack = y+1) and delivers nothing until the text comes again", Source: "tcp_rcv_synsent_state_process in net/ipv4/tcp_input.c: without TCP Fast Open a SYN-ACK's text is discarded and only the SYN acknowledged",
	Shown: "go run ./cmd/tcpbed run synack-with-data --client linux --server gvisor --seed 1",
})

// LinuxNoSenderSWS: Linux splits its queue at the edge of the usable window
// (tcp_write_xmit, tcp_mss_split_point), and Nagle with Minshall's rule lets
// one small segment be outstanding, so the window's remainder goes at once.
var LinuxNoSenderSWS = RegisterDeviation(Deviation{
	Name:     "linux-no-sender-sws-avoidance",
	Peer:     Linux,
	RFC:      "RFC 9293 3.8.6.2.1 (MUST-38)",
	Expected: "with more data queued, a segment goes only when a full-sized one fits, or at least half the largest window offered, or on the override timeout",
	Instead:  "fills the window's remainder: a full-sized segment and then a small one (56, 48 bytes) as soon as an ACK opens the window by a little more than one MSS", Source: "tcp_write_xmit and tcp_snd_wnd_test in net/ipv4/tcp_output.c: a segment goes with what the send window allows when Nagle does not hold it",
	Shown: "go run ./cmd/tcpbed run sws-avoidance --client linux --server gvisor --seed 1",
})

// LinuxAcceptsThisNetworkAndClassESources: Linux took 240/4 (2.6.25) and
// then 0/8 but 0.0.0.0 (5.3) as unicast, so that they could be assigned.
var LinuxAcceptsThisNetworkAndClassESources = RegisterDeviation(Deviation{
	Name:     "linux-accepts-this-network-and-class-e-sources",
	Peer:     Linux,
	RFC:      "RFC 1122 3.2.1.3 (a datagram with an invalid source address MUST be silently discarded; RFC 6890: 0.0.0.0/8 and 240.0.0.0/4 are not valid sources on a wire)",
	Expected: "a SYN from 0.1.2.3 (0.0.0.0/8) or 240.0.0.1 (reserved class E) is discarded without an answer",
	Instead:  "answers it with a SYN-ACK and holds a half-open connection for it: Linux treats 240.0.0.0/4 (since 2.6.25) and 0.0.0.0/8 but 0.0.0.0 itself (since 5.3) as ordinary unicast",
	Source:   "ip_route_input_slow in net/ipv4/route.c sends to martian_source only multicast, limited broadcast, zeronet and loopback sources, and ipv4_is_zeronet in include/linux/in.h is true only for 0.0.0.0 since 5.3",
	Shown:    "go run ./cmd/tcpbed run martian-source --client ours --server linux --seed 1",
})

// LinuxAnswersUnspecifiedIPv6Source: Linux answers a SYN from the IPv6
// unspecified address.
var LinuxAnswersUnspecifiedIPv6Source = RegisterDeviation(Deviation{
	Name:     "linux-answers-unspecified-ipv6-source",
	Peer:     Linux,
	RFC:      "RFC 4291 2.5.2 (the unspecified address \"must not be used as the destination address of IPv6 packets\"; a SYN from it has no one to answer, as RFC 1122 4.2.3.10 says of IPv4's)",
	Expected: "a SYN from :: is discarded without an answer",
	Instead:  "answers it with a SYN-ACK sent to :: and holds a half-open connection for it",
	Source: "ipv6_rcv_core in net/ipv6/ip6_input.c lets an unspecified source through (Duplicate Address Detection needs it), and " +
		"tcp_v6_conn_request in net/ipv6/tcp_ipv6.c checks only that the destination is unicast (ipv6_unicast_destination)",
	Shown: "go run ./cmd/tcpbed run martian-source --client ours --server linux --family ipv6 --seed 1",
})
