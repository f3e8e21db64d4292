package conformance

// The known departures of lwIP's TCP (2.1.3, Debian's liblwip, through
// peers/lwip) from the RFCs, each with the rule, what lwIP does instead,
// the lwIP function responsible (src/core of lwIP 2.1.3) and the run that
// shows it. A scenario accepts one only at an lwIP end (Env.Deviates).

// LwIPTimeWaitFromLastSegment: tcp_slowtmr removes a TIME-WAIT pcb once
// tcp_ticks - pcb->tmr > 2*TCP_MSL/TCP_SLOW_INTERVAL; pcb->tmr is the
// inactivity timer tcp_process sets on each segment only while the
// receive side is open (not after tcp_close), and entering TIME-WAIT does
// not set it.
var LwIPTimeWaitFromLastSegment = RegisterDeviation(Deviation{
	Name:     "lwip-time-wait-timed-from-last-segment",
	Peer:     LwIP,
	RFC:      "RFC 9293 3.10.7.4 (TIME-WAIT: the connection is deleted when the 2 MSL timeout, started on entering TIME-WAIT, expires)",
	Expected: "TIME-WAIT lasts 2MSL from entering it (or from a FIN that restarted it)",
	Instead:  "times TIME-WAIT from the last segment it took with its receive side open, in 500 ms slow-timer ticks: after a CLOSE, from before the FIN that moved it into TIME-WAIT, so the wait is shorter than 2MSL by the time spent in FIN-WAIT-2 (down to a few hundred ms); after a half-close up to one tick (500 ms) longer",
	Source:   "tcp_slowtmr in src/core/tcp.c (tcp_ticks - pcb->tmr > 2 * TCP_MSL / TCP_SLOW_INTERVAL) with tcp_process in src/core/tcp_in.c (pcb->tmr = tcp_ticks only while TF_RXCLOSED is clear)",
	Shown:    "go run ./cmd/tcpbed run time-wait --client lwip --server gvisor --seed 1",
})

// LwIPSYNTimer: tcp_alloc starts every pcb with rto = 3000 ms /
// TCP_SLOW_INTERVAL, and tcp_slowtmr does not double it in SYN-SENT.
var LwIPSYNTimer = RegisterDeviation(Deviation{
	Name:     "lwip-syn-rto-3s-no-backoff",
	Peer:     LwIP,
	RFC:      "RFC 6298 2.1 (the initial RTO is 1 s) and 5.5 (on expiry, RTO = RTO * 2)",
	Expected: "SYN (and SYN-ACK) retransmissions 1 s, 2 s, 4 s ... apart",
	Instead:  "starts from RFC 1122's old 3 s (on 500 ms slow-timer ticks, so 2.5 to 3 s) and resends a SYN every 3 s without backing off; a SYN-ACK's timer does double",
	Source:   "tcp_alloc in src/core/tcp.c (pcb->rto = 3000 / TCP_SLOW_INTERVAL) and tcp_slowtmr in src/core/tcp.c (\"Double retransmission time-out unless we are trying to connect to somebody (i.e., we are in SYN_SENT)\")",
	Shown:    "go run ./cmd/tcpbed run syn-retransmit --client lwip --server gvisor --seed 1",
})

// LwIPRSTCarriesACK: tcp_rst builds every reset with RST|ACK.
var LwIPRSTCarriesACK = RegisterDeviation(Deviation{
	Name:     "lwip-rst-always-carries-ack",
	Peer:     LwIP,
	RFC:      "RFC 9293 3.10.7.1 and 3.10.7.2 (a segment with ACK set is answered <SEQ=SEG.ACK><CTL=RST>, without ACK)",
	Expected: "the RST for a segment that carries an ACK is <SEQ=SEG.ACK><CTL=RST>",
	Instead:  "sets ACK on every RST it sends (RST|ACK, acknowledging what the offending segment's sequence number and length suggest)",
	Source:   "tcp_rst in src/core/tcp_out.c (tcp_output_alloc_header_common(..., TCP_RST | TCP_ACK, ...))",
	Shown:    "go run ./cmd/tcpbed run listen-ack-rst --client gvisor --server lwip --seed 1",
})

// LwIPNoSimultaneousOpen: tcp_process in SYN-SENT handles a SYN-ACK or an
// ACK; a bare SYN falls through and is dropped.
var LwIPNoSimultaneousOpen = RegisterDeviation(Deviation{
	Name:     "lwip-no-simultaneous-open",
	Peer:     LwIP,
	RFC:      "RFC 9293 3.5 (simultaneous initiation, figure 7) and 3.10.7.3 (SYN-SENT, fourth: SYN without ACK: enter SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>)",
	Expected: "a SYN that crosses its own in SYN-SENT is answered with a SYN-ACK, and both ends reach ESTABLISHED",
	Instead:  "drops a SYN without ACK in SYN-SENT and goes on resending its own SYN",
	Source:   "tcp_process in src/core/tcp_in.c (case SYN_SENT: only SYN|ACK and ACK are handled)",
	Shown:    "go run ./cmd/tcpbed run simultaneous-open --client lwip --server gvisor --seed 1",
})

// LwIPSYNACKTextDropped: tcp_process in SYN-SENT completes the handshake
// on a SYN-ACK without passing its payload to tcp_receive.
var LwIPSYNACKTextDropped = RegisterDeviation(Deviation{
	Name:     "lwip-synack-text-dropped",
	Peer:     LwIP,
	RFC:      "RFC 9293 3.10.7.3 (SYN-SENT, fourth: \"If there are other controls or text in the segment, then continue processing at the sixth step\")",
	Expected: "text on a SYN-ACK is queued and acknowledged",
	Instead:  "acknowledges the SYN only and drops the text (the peer resends it)",
	Source:   "tcp_process in src/core/tcp_in.c (case SYN_SENT: the SYN-ACK branch never calls tcp_receive)",
	Shown:    "go run ./cmd/tcpbed run synack-with-data --client lwip --server gvisor --seed 1",
})

// LwIPISNFromTicks: tcp_next_iss adds the slow-timer tick count to a
// static counter that starts at 6510.
var LwIPISNFromTicks = RegisterDeviation(Deviation{
	Name:     "lwip-isn-from-tick-count",
	Peer:     LwIP,
	RFC:      "RFC 9293 3.4.1 (MUST-8: a clock-driven ISN, incremented about every 4 microseconds; SHLD-1: RFC 6528's keyed hash)",
	Expected: "a new connection's ISN above the sequence space the last incarnation of the four-tuple used",
	Instead:  "draws ISNs from a counter that starts at 6510 and grows by the 500 ms tick count at each open: a new incarnation can start below the old one's sequence numbers",
	Source:   "tcp_next_iss in src/core/tcp.c (static u32_t iss = 6510; iss += tcp_ticks; /* XXX */)",
	Shown:    "go run ./cmd/tcpbed run time-wait-reuse --client lwip --server gvisor --seed 1",
})

// LwIPAcceptsThisNetworkSources: ip4_input only refuses broadcast and
// multicast sources.
var LwIPAcceptsThisNetworkSources = RegisterDeviation(Deviation{
	Name:     "lwip-accepts-this-network-and-class-e-sources",
	Peer:     LwIP,
	RFC:      "RFC 1122 3.2.1.3 (addresses { 0, <Host-number> } and class E MUST NOT be sent as a source; a host silently discards them)",
	Expected: "a SYN from 0.x.x.x or 240.x.x.x is dropped without an answer",
	Instead:  "answers it with a SYN-ACK (ip4_input drops only broadcast and multicast sources)",
	Source:   "ip4_input in src/core/ipv4/ip4.c (\"packet source is not valid\" is checked for broadcast and multicast only)",
	Shown:    "go run ./cmd/tcpbed run martian-source --client gvisor --server lwip --seed 1",
})

// LwIPParamProblemQuotesFromTheHeader: ip6_input strips the fixed header
// (pbuf_remove_header(p, IP6_HLEN)) and each extension header it passes
// before it finds one at fault; icmp6_param_problem then quotes p from
// there, though icmp6_send_response expects p->payload at the IPv6 header.
// The pointer is right: it is measured from ip6_current_header().
var LwIPParamProblemQuotesFromTheHeader = RegisterDeviation(Deviation{
	Name:     "lwip-param-problem-quotes-from-the-bad-header",
	Peer:     LwIP,
	RFC:      "RFC 4443 3.4 and 2.4 (c) (a Parameter Problem carries as much of the invoking packet as fits, from its start: the pointer is an offset into it)",
	Expected: "the message quotes the offending packet from its IPv6 header on",
	Instead:  "quotes it from the extension header at fault (an unknown Routing type with Segments Left, an unknown option of type 10xxxxxx), leaving out the IPv6 header and every header before: the pointer, measured from the IPv6 header, no longer points into what is quoted; an unknown upper-layer Next Header is quoted whole",
	Source:   "ip6_input in src/core/ipv6/ip6.c (IP6_NEXTH_ROUTING, IP6_NEXTH_HOPBYHOP and IP6_NEXTH_DESTOPTS call icmp6_param_problem after pbuf_remove_header) with icmp6_send_response_with_addrs_and_netif in src/core/ipv6/icmp6.c (it copies from p->payload)",
	Shown:    "go run ./cmd/tcpbed run ipv6-extension-headers --client gvisor --server lwip --family ipv6 --seed 1",
})

// LwIPPacketTooBigUnvalidated: icmp6_input hands a Packet Too Big to
// nd6_input, which reads only the quoted destination address and sets
// that destination's path MTU; TCP never sees the message, so nothing
// checks the sequence number it quotes.
var LwIPPacketTooBigUnvalidated = RegisterDeviation(Deviation{
	Name:     "lwip-packet-too-big-unvalidated",
	Peer:     LwIP,
	RFC:      "RFC 5927 4.1 (an ICMP error quoting a sequence number outside SND.UNA..SND.NXT is ignored)",
	Expected: "a Packet Too Big quoting a sequence number never sent is ignored: segments stay full-sized",
	Instead:  "takes every Packet Too Big's MTU for the destination it quotes, whatever it quotes of TCP, and fragments its segments to it from then on (over IPv4 lwIP acts on no ICMP error at all)",
	Source:   "nd6_input in src/core/ipv6/nd6.c (ICMP6_TYPE_PTB: destination_cache[].pmtu = the message's MTU, looked up by the quoted destination alone), reached from icmp6_input in src/core/ipv6/icmp6.c",
	Shown:    "go run ./cmd/tcpbed run icmp-forged --client lwip --server gvisor --family ipv6 --seed 1",
})

// LwIPPathMTUBySourceFragments: nd6_input records an ICMPv6 Packet Too
// Big's MTU in the destination cache, and ip6_output_if_src hands any
// packet bigger than that to ip6_frag; TCP's MSS (tcp_eff_send_mss_netif)
// is computed at the handshake only and never lowered after it.
var LwIPPathMTUBySourceFragments = RegisterDeviation(Deviation{
	Name:     "lwip-ipv6-path-mtu-by-source-fragments",
	Peer:     LwIP,
	RFC:      "RFC 8201 5.4 (the packetization layer, TCP, tracks each connection's path MTU and sends segments that fit it, smaller once a Packet Too Big lowers it) and RFC 8900 (fragmentation is fragile: a sender should not rely on it)",
	Expected: "after an ICMPv6 Packet Too Big, segments shrink so that each fits the path MTU whole",
	Instead:  "keeps the MSS it chose at the handshake and fragments every bigger segment at the source (IPv6 Fragment headers, each piece within the path MTU it learnt): the data arrives, reassembled by the receiver, as two packets per full segment",
	Source:   "nd6_input in src/core/ipv6/nd6.c (ICMP6_TYPE_PTB sets destination_cache[].pmtu) with ip6_output_if_src in src/core/ipv6/ip6.c (a packet over nd6_get_destination_mtu goes to ip6_frag); pcb->mss is set from tcp_eff_send_mss only in tcp_connect (src/core/tcp.c) and tcp_listen_input and tcp_process's SYN-SENT (src/core/tcp_in.c)",
	Shown:    "go run ./cmd/tcpbed run path-mtu-discovery --client lwip --server gvisor --family ipv6 --seed 1",
})

// LwIPSYNGiveUpBefore3Min: tcp_slowtmr drops a pcb in SYN-SENT after
// TCP_SYNMAXRTX (6) retransmissions, which LwIPSYNTimer spaces 3 s apart.
var LwIPSYNGiveUpBefore3Min = RegisterDeviation(Deviation{
	Name:     "lwip-syn-gives-up-after-18s",
	Peer:     LwIP,
	RFC:      "RFC 9293 3.8.3 (MUST-23: R2 for a SYN at least 3 minutes)",
	Expected: "the SYN retransmitted for at least 3 minutes before the open fails",
	Instead:  "gives up after TCP_SYNMAXRTX (6) retransmissions 3 s apart: about 18 s after the first SYN",
	Source:   "tcp_slowtmr in src/core/tcp.c (pcb->state == SYN_SENT && pcb->nrtx >= TCP_SYNMAXRTX: the pcb is removed)",
	Shown:    "go run ./cmd/tcpbed run syn-retransmit-3min --client lwip --server gvisor --seed 1",
})

// LwIPTakesDataWithAckOfUnsent: tcp_receive answers an ACK beyond SND.NXT
// with an empty ACK, then goes on to the segment's text.
var LwIPTakesDataWithAckOfUnsent = RegisterDeviation(Deviation{
	Name:     "lwip-takes-data-with-ack-of-unsent",
	Peer:     LwIP,
	RFC:      "RFC 9293 3.10.7.4 (fifth check: \"If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop the segment, and return\")",
	Expected: "a segment whose ACK is beyond SND.NXT dropped, text and all, after an ACK",
	Instead:  "sends the ACK but keeps processing the segment: its text is acknowledged and delivered",
	Source:   "tcp_receive in src/core/tcp_in.c (\"Out of sequence ACK, didn't really ack anything\": tcp_send_empty_ack, then the data is processed)",
	Shown:    "go run ./cmd/tcpbed run ack-of-unsent-data --client lwip --server gvisor --seed 1",
})

// LwIPNoSenderSWS: tcp_output sends each queued segment, whatever its
// size, as soon as it fits the offered window.
var LwIPNoSenderSWS = RegisterDeviation(Deviation{
	Name:     "lwip-no-sender-sws-avoidance",
	Peer:     LwIP,
	RFC:      "RFC 9293 3.8.6.2.1 (MUST-38)",
	Expected: "with more data queued, a segment goes only when a full-sized one fits, or at least half the largest window offered, or on the override timeout",
	Instead:  "sends every queued segment that fits the window at once, small ones too (segments are cut when the application writes, and only Nagle's algorithm, when on, holds them back)",
	Source:   "tcp_output in src/core/tcp_out.c (while (seg != NULL && seqno - lastack + seg->len <= wnd): no test against the MSS or the largest window)",
	Shown:    "go run ./cmd/tcpbed run sws-avoidance --client lwip --server gvisor --seed 1",
})

// LwIPIgnoresICMPErrors: icmp_input answers echo requests and counts
// every other type; nothing reaches the transport (lwIP 2.1.3 has no
// ICMP error path into TCP at all).
var LwIPIgnoresICMPErrors = RegisterDeviation(Deviation{
	Name:     "lwip-ignores-icmp-errors",
	Peer:     LwIP,
	RFC:      "RFC 1122 4.2.3.9 (Destination Unreachable codes 2-4 are hard errors: TCP SHOULD abort the connection; RFC 5461 4.1 for a connection attempt)",
	Expected: "a connection attempt answered with ICMP Port Unreachable ends at once, refused, and its SYN is not sent again",
	Instead:  "ignores ICMP errors: the SYN goes on being resent until its retries run out (LwIPSYNGiveUpBefore3Min), and the open fails as a timeout",
	Source:   "icmp_input in src/core/ipv4/icmp.c (default: only the MIB-2 counter of the type is incremented; no ICMP error is passed to tcp_in.c)",
	Shown:    "go run ./cmd/tcpbed run icmp-port-unreachable-syn-sent --client lwip --server gvisor --seed 1",
})

// LwIPRTOInSlowTicks: tcp_output_segment starts pcb->rtime at 0 when it
// sends, tcp_slowtmr adds one each 500 ms tick and retransmits once it
// reaches pcb->rto, itself a count of ticks (3 s is 6).
var LwIPRTOInSlowTicks = RegisterDeviation(Deviation{
	Name:     "lwip-rto-counted-in-slow-ticks",
	Peer:     LwIP,
	RFC:      "RFC 6298 5.1 and 5.7 (the retransmission timer, started when the segment is sent, expires after RTO; after a SYN timeout, RTO is 3 s when data transmission begins)",
	Expected: "data retransmitted no sooner than RTO after it was sent: 3 s after a SYN timeout",
	Instead:  "counts the RTO in whole 500 ms slow-timer ticks from the first tick after the send, so the timer expires up to one tick (500 ms) early: data sent after a SYN timeout is resent 2.5 to 3 s later",
	Source:   "tcp_slowtmr in src/core/tcp.c (++pcb->rtime on each tick; if (pcb->rtime >= pcb->rto) the segment is resent) with tcp_output_segment in src/core/tcp_out.c (pcb->rtime = 0 when the segment goes)",
	Shown:    "go run ./cmd/tcpbed run syn-timeout-rto-3s --client lwip --server gvisor --seed 1",
})

// LwIPTCPHeaderInFirstFragment: ip4_reass chains the fragments' pbufs
// without copying, so the first pbuf of a reassembled segment holds only
// what the first fragment carried, and tcp_input drops a segment whose
// first pbuf is shorter than the fixed 20-byte TCP header.
var LwIPTCPHeaderInFirstFragment = RegisterDeviation(Deviation{
	Name:     "lwip-tcp-header-in-first-fragment",
	Peer:     LwIP,
	RFC:      "RFC 1122 3.3.2 (a host MUST reassemble IP datagrams) with RFC 791 3.2 (a datagram may be cut at any 8-octet boundary)",
	Expected: "a segment whose first fragment holds 8 or 16 bytes of its TCP header reassembled and processed like any other",
	Instead:  "reassembles it, then drops it in TCP as a short packet: the first fragment must hold the whole fixed TCP header (20 bytes)",
	Source:   "tcp_input in src/core/tcp_in.c (if (p->len < TCP_HLEN): \"drop short packets\") after ip4_reass in src/core/ipv4/ip4_frag.c (pbuf_cat of the fragments' pbufs)",
	Shown:    "go run ./cmd/tcpbed run fragmented-segments --client gvisor --server lwip --seed 1",
})

// LwIPIPv6OverlapKeepsDatagram: ip6_reass drops an overlapping fragment
// alone and goes on reassembling the datagram from the others.
var LwIPIPv6OverlapKeepsDatagram = RegisterDeviation(Deviation{
	Name:     "lwip-ipv6-overlap-keeps-datagram",
	Peer:     LwIP,
	RFC:      "RFC 8200 4.5 and RFC 5722 4 (if any of the fragments being reassembled overlap with any other fragments being reassembled for the same packet, reassembly of that packet must be abandoned and all the fragments that have been received for that packet must be discarded)",
	Expected: "a datagram one of whose fragments overlaps another discarded whole, no byte of it delivered",
	Instead:  "throws the overlapping fragment away and reassembles the datagram from the others: the genuine bytes are delivered (no forged byte is)",
	Source:   "ip6_reass in src/core/ipv6/ip6_frag.c (under IP_REASS_CHECK_OVERLAP: \"fragment overlaps with following, throw away\" frees the new fragment alone, the ip6_reassdata stays queued)",
	Shown:    "go run ./cmd/tcpbed run fragmented-segments --client gvisor --server lwip --family ipv6 --seed 1",
})
