package conformance

// The known departures of gVisor's netstack from the RFCs, each with the
// rule, what gVisor does instead, where its code does it and the run that
// shows it. A scenario accepts one only at a gVisor end (Env.Deviates).

// GVisorNoPAWS: gVisor's receiver does not implement PAWS (rcv.go: "As we
// do not yet support PAWS").
var GVisorNoPAWS = RegisterDeviation(Deviation{
	Name:     "gvisor-no-paws",
	Peer:     GVisor,
	RFC:      "RFC 7323 5.3 R1",
	Expected: "a non-RST segment whose TSval is older than TS.Recent to be dropped with an ACK in reply",
	Instead:  "takes in its data and acknowledges it (gvisor->gvisor: a segment at RCV.NXT with TSval 2^20 below TS.Recent is delivered to the application)", Source: "receiver.handleRcvdSegment and handleTimeWaitSegment in pkg/tcpip/transport/tcp/rcv.go: no test of SEG.TSval against TS.Recent (\"As we do not yet support PAWS\", rcv.go)",
	Shown: "go run ./cmd/tcpbed run paws-old-duplicate --client gvisor --server gvisor --seed 1",
})

// GVisorTakesDataWithAckOfUnsent: in ESTABLISHED gVisor skips the ACK check
// ("Just as on Linux, we do not apply this behavior when state is
// ESTABLISHED", rcv.go) and goes on to the segment's text.
var GVisorTakesDataWithAckOfUnsent = RegisterDeviation(Deviation{
	Name:     "gvisor-takes-data-with-ack-of-unsent",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.10.7.4 (fifth check, ESTABLISHED), RFC 5961 5.2",
	Expected: "a segment whose ACK acknowledges data not yet sent (SEG.ACK > SND.NXT) to draw an ACK and be dropped, text and all",
	Instead:  "takes in its data and acknowledges it (gvisor->gvisor: 38 forged bytes at RCV.NXT with SEG.ACK = SND.NXT + 1000 are delivered to the application)", Source: "sender.handleRcvdSegment in pkg/tcpip/transport/tcp/snd.go and receiver.handleRcvdSegment in rcv.go: an ACK above SND.NXT is ignored for the ACK alone; the segment's text is still taken",
	Shown: "go run ./cmd/tcpbed run ack-of-unsent-data --client gvisor --server gvisor --seed 1",
})

// GVisorRenoAvoidanceGrowth is gVisor's Reno growing its window in
// congestion avoidance as fast as in slow start.
var GVisorRenoAvoidanceGrowth = RegisterDeviation(Deviation{
	Name: "gvisor-reno-avoidance-grows-per-ack",
	Peer: GVisor,
	RFC:  "RFC 5681 3.1 (congestion avoidance: cwnd grows by about one SMSS per RTT)",
	Expected: "once cwnd exceeds ssthresh, cwnd to grow by at most about one full-sized segment per round trip, " +
		"however the receiver spaces its ACKs",
	Instead: "it cuts ssthresh and cwnd on loss as the RFC says, but in congestion avoidance, once the first window's worth of ACKs is " +
		"counted, every ACK of one segment adds a whole segment: slow-start speed. It shows where the receiver ACKs every segment " +
		"(gvisor->gvisor, seed 1, congestion-avoidance-growth: 36.6, 73.9, 147.5, 286.5 SMSS in the first four RTTs after recovery, " +
		"where ourstack's sender goes 34.7, 35.7, 36.7, 37.7); " +
		"ourstack's delayed ACKs hide most of it",
	Source: "renoState.updateCongestionAvoidance in pkg/tcpip/transport/tcp/reno.go: SndCAAckCount % SndCwnd is taken after " +
		"SndCwnd has grown, so the count stays one short of the new cwnd and the next one-segment ACK grows it again",
	Shown: "go run ./cmd/tcpbed run congestion-avoidance-growth --client gvisor --server gvisor --seed 1",
})

// GVisorRACKTieBreak is gVisor's RACK ordering segments with one transmit
// time the wrong way round.
var GVisorRACKTieBreak = RegisterDeviation(Deviation{
	Name: "gvisor-rack-tie-break-reversed",
	Peer: GVisor,
	RFC:  "RFC 8985 6.2 (RACK_sent_after: t1 > t2 or (t1 == t2 and seq1 > seq2))",
	Expected: "a segment sent at the same time as the most recently delivered one to count as sent before it only if its end sequence " +
		"is lower; only segments sent before a delivered one may be marked lost",
	Instead: "it counts a segment with a higher end sequence and the same transmit time as sent before the delivered one, so once the " +
		"reordering window passes it marks delivered segments lost and resends them: on retransmit-only-lost-tied-clock " +
		"(4 MiB, 1% loss each way, 10 ms, 100 Mbit/s, frozen clock), gvisor->gvisor resends 278-365 segments that had arrived " +
		"against 31-37 the wire lost; on a clock that ticks (retransmit-only-lost, seeds 1-5) it resends 0-1 of 22-35",
	Source: "rackControl.detectLoss in pkg/tcpip/transport/tcp/rack.go: " +
		"seg.xmitTime == rc.XmitTime && rc.EndSequence.LessThan(endSeq) takes the tie for the segment with the higher end sequence",
	Shown: "go run ./cmd/tcpbed run retransmit-only-lost-tied-clock --client gvisor --server gvisor --seed 1",
})

// GVisorNoSenderSWS: gVisor's sender splits a segment to whatever the
// peer's window allows and sends it at once (transport/tcp/snd.go,
// maybeSendSegment); only Nagle or TCP_CORK, both off by default, hold a
// short segment back.
var GVisorNoSenderSWS = RegisterDeviation(Deviation{
	Name:     "gvisor-no-sender-sws-avoidance",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.8.6.2.1 (MUST-38)",
	Expected: "with more data queued, a segment goes only when a full-sized one fits, or at least half the largest window offered, or on the override timeout",
	Instead:  "sends a segment of whatever the usable window holds (640, 768 bytes ...) as soon as an ACK opens it", Source: "sender.maybeSendSegment in pkg/tcpip/transport/tcp/snd.go: a segment goes with whatever the usable window holds, with no full-segment or half-window test",
	Shown: "go run ./cmd/tcpbed run sws-avoidance --client gvisor --server gvisor --seed 1",
})

// GVisorReceiverSWSOnlyFromZero: gVisor applies receiver SWS avoidance
// only while reopening a zero window (transport/tcp/rcv.go, "Apply
// silly-window avoidance when recovering from zero-window situation");
// otherwise it moves the right edge by whatever the reader freed.
var GVisorReceiverSWSOnlyFromZero = RegisterDeviation(Deviation{
	Name:     "gvisor-receiver-sws-only-from-zero-window",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.8.6.2.2 (MUST-39)",
	Expected: "the right window edge moves only in steps of at least min(RCV.BUFF/2, Eff.snd.MSS)",
	Instead:  "moves it by smaller steps (a few hundred bytes) when the window was not zero", Source: "receiver.getSendParams in pkg/tcpip/transport/tcp/rcv.go: a small window increase is held back only while the advertised window is zero",
	Shown: "go run ./cmd/tcpbed run sws-avoidance --client gvisor --server gvisor --seed 1",
})

// GVisorZeroWindowProbeOldOctet: gVisor probes a zero window by re-sending
// the last acknowledged octet (sequence number SND.UNA-1, as Linux does)
// instead of the next octet of new data. Its own source says so
// (transport/tcp/snd.go, sendZeroWindowProbe). The probe still draws the
// ACK that reports the window, so it works; it is not what the RFC says.
var GVisorZeroWindowProbeOldOctet = RegisterDeviation(Deviation{
	Name:     "gvisor-zero-window-probe-old-octet",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.8.6.1",
	Expected: "a zero-window probe that carries at least one octet of new data (the next in the stream) when data is waiting",
	Instead:  "a probe that re-sends an already acknowledged octet, sequence number SND.UNA-1", Source: "sender.sendZeroWindowProbe in pkg/tcpip/transport/tcp/snd.go: a junk octet at SND.UNA-1, \"like Linux\"",
	Shown: "go run ./cmd/tcpbed run zero-window --client gvisor --server gvisor --seed 1",
})

// GVisorSYNTimerAfterBadACK: gVisor answers a bad ACK in SYN-SENT with the
// right RST, then re-arms its SYN retransmission timer at 2 µs (its
// tcpMinTimeout) and doubles from there: about ten SYNs within a
// millisecond.
var GVisorSYNTimerAfterBadACK = RegisterDeviation(Deviation{
	Name:     "gvisor-syn-timer-reset-by-bad-ack",
	Peer:     GVisor,
	RFC:      "RFC 6298 2.1, 5.5",
	Expected: "the SYN is retransmitted when its RTO (1 s initially, doubling) expires; an unacceptable ACK in SYN-SENT is answered with a RST and otherwise discarded (RFC 9293 3.10.7.3)",
	Instead:  "re-arms the SYN retransmission timer at 2 µs after sending the RST and doubles from there, sending a burst of SYNs within the first millisecond", Source: "handshake.synSentState in pkg/tcpip/transport/tcp/connect.go: an unacceptable ACK in SYN-SENT is answered with a RST and the handshake's retransmit timer armed afresh",
	Shown: "go run ./cmd/tcpbed run syn-sent-bad-ack --client gvisor --server gvisor --seed 1",
})

// GVisorSynRetriesIgnored: gVisor's active and passive handshakes stop on
// their backoff timer's 120 s MaxRTO, not on the SYN retry limit.
var GVisorSynRetriesIgnored = RegisterDeviation(Deviation{
	Name:     "gvisor-syn-retries-ignored",
	Peer:     GVisor,
	RFC:      "RFC 1122 4.2.3.5, RFC 9293 3.8.3",
	Expected: "the application's SYN retry limit (TCPSynRetriesOption, which syn-retransmit-exhausted sets to 4) ends the connection attempt",
	Instead:  "ignores the option in the handshake: retransmits the SYN 6 times (1, 3, 7, 15, 31, 63 s) and fails at 127 s, when the doubled RTO would pass its 120 s MaxRTO", Source: "handshake.retransmitHandlerLocked in pkg/tcpip/transport/tcp/connect.go: the handshake stops on its backoff timer reaching MaxRTO (snd.go), not on maxSynRetries (endpoint.go)",
	Shown: "go run ./cmd/tcpbed run syn-retransmit-exhausted --client gvisor --server gvisor --seed 1",
})

// GVisorSYNACKTextDropped: gVisor completes the handshake on a SYN-ACK that
// carries data but does not take the data.
var GVisorSYNACKTextDropped = RegisterDeviation(Deviation{
	Name:     "gvisor-synack-text-dropped",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.10.7.3",
	Expected: "text on an acceptable SYN-ACK is processed (\"continue processing at the sixth step\"): acknowledged at once (ack=IRS+1+len) and delivered",
	Instead:  "acknowledges only the SYN (ack=IRS+1) and discards the text, which the peer must send again", Source: "handshake.synSentState in pkg/tcpip/transport/tcp/connect.go: the ACK of a SYN-ACK is ack = IRS+1, the SYN-ACK's text not queued",
	Shown: "go run ./cmd/tcpbed run synack-with-data --client gvisor --server gvisor --seed 1",
})

// GVisorCloseWaitRSTIsEPIPE: gVisor follows Linux (tcp_reset sets EPIPE
// for CLOSE-WAIT), not the RFC's "reset" response.
var GVisorCloseWaitRSTIsEPIPE = RegisterDeviation(Deviation{
	Name:     "gvisor-close-wait-rst-reports-epipe",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.10.7.4 (RST in CLOSE-WAIT: SENDs \"should receive \"reset\" responses\")",
	Expected: "after a RST in CLOSE-WAIT, Write reports connection reset (ECONNRESET)",
	Instead:  "goes CLOSED with ErrAborted as its hard error and reports a broken pipe (EPIPE) on Write, as Linux does (connect.go handleReset)", Source: "endpoint.isEndpointWritableLocked in pkg/tcpip/transport/tcp/endpoint.go: once a RST has closed the endpoint in CLOSE-WAIT, a write reports ErrClosedForSend (EPIPE); handleReset in connect.go only closes it",
	Shown: "go run ./cmd/tcpbed run data-after-close --client gvisor --server gvisor --seed 1",
})

// GVisorResetsOnEmptyAckBeyondRcvNxt: with its socket closed, gVisor treats
// any segment whose end lies beyond RCV.NXT as new data after CLOSE and
// aborts, even a bare ACK that carries none.
var GVisorResetsOnEmptyAckBeyondRcvNxt = RegisterDeviation(Deviation{
	Name:     "gvisor-closed-socket-resets-on-empty-segment-beyond-rcv-nxt",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.10.7.4 (first check: a zero-length segment with RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND is acceptable); RFC 1122 4.2.2.13 (RST only when data is lost)",
	Expected: "in FIN-WAIT-1 after CLOSE, a bare ACK at seq RCV.NXT+1 (the peer's ACK that overtook its lost FIN) is acceptable: its ACK is processed (-> FIN-WAIT-2) or the segment is held; no data is lost, so no RST",
	Instead:  "sends <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> and goes CLOSED (rcv.go handleRcvdSegmentClosing compares the segment's end with RCV.NXT although it carries no data; Linux checks for payload first)", Source: "receiver.handleRcvdSegmentClosing in pkg/tcpip/transport/tcp/rcv.go: after Close it compares a segment's end with RCV.NXT even when the segment carries no data and returns an abort error, on which resetConnectionLocked sends the RST",
	Shown: "go run ./cmd/tcpbed run simultaneous-close-loss --client gvisor --server gvisor --seed 1",
})

// GVisorSYNGiveUpBefore3Min: gVisor abandons an unanswered SYN at 127 s.
var GVisorSYNGiveUpBefore3Min = RegisterDeviation(Deviation{
	Name:     "gvisor-syn-give-up-before-3-minutes",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.8.3 (MUST-23), RFC 1122 4.2.3.5",
	Expected: "the SYN retransmitted for at least 3 minutes before the open attempt is given up",
	Instead:  "gives up 127 s after the first SYN (6 retransmissions; its handshake stops when the doubled RTO would pass 120 s), as Linux's default tcp_syn_retries=6 does", Source: "handshake.retransmitHandlerLocked in pkg/tcpip/transport/tcp/connect.go: the handshake's backoff timer (InitialRTO 1 s, MaxRTO 120 s, snd.go) gives up when the doubled RTO would pass MaxRTO, at 127 s",
	Shown: "go run ./cmd/tcpbed run syn-retransmit-3min --client gvisor --server gvisor --seed 1",
})

// GVisorNoRTO3sAfterSYNTimeout: gVisor keeps the RTO it had (or measured)
// when data transmission begins after a SYN timeout.
var GVisorNoRTO3sAfterSYNTimeout = RegisterDeviation(Deviation{
	Name:     "gvisor-no-3s-rto-after-syn-timeout",
	Peer:     GVisor,
	RFC:      "RFC 6298 5.7",
	Expected: "after the SYN's timer expired, the RTO is re-initialized to 3 s when data transmission begins",
	Instead:  "retransmits the first lost data segment sooner than 3 s after it was sent", Source: "initSender in pkg/tcpip/transport/tcp/snd.go: the connection's RTO starts at 1 s (or the handshake's RTT sample); nothing resets it to 3 s after a SYN timeout",
	Shown: "go run ./cmd/tcpbed run syn-timeout-rto-3s --client gvisor --server gvisor --seed 1",
})

// The two below were found by FuzzInterop (fuzz/), which accepts them at a
// gVisor end by these registered names.

// GVisorTimeWaitIgnoresFINWithData: gVisor restarts TIME-WAIT only for a
// bare FIN.
var GVisorTimeWaitIgnoresFINWithData = RegisterDeviation(Deviation{
	Name:     "gvisor-time-wait-ignores-fin-with-data",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.10.7.4 (TIME-WAIT: \"The only thing that can arrive in this state is a retransmission of the remote FIN. Acknowledge it, and restart the 2 MSL timeout\")",
	Expected: "a retransmitted FIN restarts the 2MSL wait, also when it comes with the data before it",
	Instead:  "restarts the wait only for a bare FIN (SEG.SEQ+1 = RCV.NXT); the peer's FIN retransmitted together with its last data does not restart it",
	Source:   "receiver.handleTimeWaitSegment in pkg/tcpip/transport/tcp/rcv.go: the restart is taken only for a segment whose sequence number plus one is RCV.NXT",
	Shown:    "go test ./fuzz -run 'FuzzInterop/47edbe5a99dd6a05' -v",
})

// GVisorStuckWithoutTimer: gVisor waits for an ACK of its SYN or FIN with
// no timer running.
var GVisorStuckWithoutTimer = RegisterDeviation(Deviation{
	Name:     "gvisor-stuck-without-timer",
	Peer:     GVisor,
	RFC:      "RFC 6298 5.1, RFC 9293 3.8.1 (an unacknowledged SYN or FIN is retransmitted), 3.10.7.4 (CLOSING: an ACK of our FIN moves to TIME-WAIT)",
	Expected: "an end in SYN-SENT, SYN-RECEIVED, FIN-WAIT-1, CLOSING or LAST-ACK keeps a retransmission timer running until its SYN or FIN is acknowledged",
	Instead: "ends a run with nothing on the wire and no timer armed while in one of those states: in a simultaneous close whose ACK overtakes the peer's FIN it takes the ACK " +
		"(SND.UNA moves, the timer stops) but changes state only on in-order segments, and sits in CLOSING; or its one FIN is lost and never retransmitted",
	Source: "endpoint.handleSegmentsLocked and the state handling in pkg/tcpip/transport/tcp/rcv.go (receiver.handleRcvdSegmentClosing): the state moves only on in-order segments, while snd.go's handleRcvdSegment has already stopped the retransmission timer",
	Shown:  "go test ./fuzz -run 'FuzzInterop/(c3916cb4b5f44c9e|c97bd82493c6ce0d)' -v",
})

// GVisorAcceptsThisNetworkAndClassESources: gVisor's IPv4 input refuses
// only broadcast, multicast and loopback sources.
var GVisorAcceptsThisNetworkAndClassESources = RegisterDeviation(Deviation{
	Name:     "gvisor-accepts-this-network-and-class-e-sources",
	Peer:     GVisor,
	RFC:      "RFC 1122 3.2.1.3 (a datagram with an invalid source address MUST be silently discarded; RFC 6890: 0.0.0.0/8 and 240.0.0.0/4 are not valid sources on a wire)",
	Expected: "a SYN from 0.1.2.3 (0.0.0.0/8) or 240.0.0.1 (reserved class E) is discarded without an answer",
	Instead:  "answers it with a SYN-ACK and holds a half-open connection for it",
	Source:   "handleValidatedPacket in pkg/tcpip/network/ipv4/ipv4.go checks the source only against the limited broadcast, multicast and a local subnet's broadcast; HandlePacket adds loopback; nothing refuses 0.0.0.0/8 or 240.0.0.0/4",
	Shown:    "go run ./cmd/tcpbed run martian-source --client ours --server gvisor --seed 1",
})

// GVisorICMPUnvalidated: gVisor acts on an ICMP error about a TCP
// connection without checking the sequence number it quotes.
var GVisorICMPUnvalidated = RegisterDeviation(Deviation{
	Name:     "gvisor-icmp-unvalidated",
	Peer:     GVisor,
	RFC:      "RFC 5927 4.1",
	Expected: "an ICMP error quoting a sequence number outside SND.UNA..SND.NXT to be ignored, since anyone can forge one",
	Instead: "acts on it whatever it quotes: a forged Port Unreachable quoting ISS+100000 ends a connection attempt in SYN-SENT with " +
		"connection refused, and a forged Fragmentation Needed quoting a sequence number never sent shrinks the connection's segments",
	Source: "Endpoint.HandleError and Endpoint.onICMPError in pkg/tcpip/transport/tcp/endpoint.go: the quoted TCP header is never read; " +
		"a connecting endpoint is moved to StateError on any Destination Unreachable, and handlePacketTooBig lowers SndMTU",
	Shown: "go run ./cmd/tcpbed run icmp-forged --client gvisor --server ours --seed 1",
})

// GVisorReassemblesIncompleteHeaderChain: gVisor reassembles an IPv6
// datagram whose first fragment holds only part of the TCP header.
var GVisorReassemblesIncompleteHeaderChain = RegisterDeviation(Deviation{
	Name:     "gvisor-reassembles-incomplete-header-chain",
	Peer:     GVisor,
	RFC:      "RFC 7112 5",
	Expected: "a first IPv6 fragment that does not hold the whole header chain, the upper-layer header included, to be discarded",
	Instead:  "reassembles it and answers: a SYN whose first fragment carries 16 of its 24 TCP header bytes is answered with a SYN-ACK",
	Source: "endpoint.processFragmentExtHdr in pkg/tcpip/network/ipv6/ipv6.go: the first fragment's upper-layer header is not checked on " +
		"receipt (RFC 7112 is applied only to what gVisor sends, in calculateNetworkMTU)",
	Shown: "go run ./cmd/tcpbed run fragmented-segments --client ours --server gvisor --family ipv6 --seed 1",
})

// GVisorRTOFloor200ms: gVisor floors its retransmission timeout at 200 ms,
// as Linux does, not at RFC 6298's 1 s.
var GVisorRTOFloor200ms = RegisterDeviation(Deviation{
	Name:     "gvisor-rto-floor-200ms",
	Peer:     GVisor,
	RFC:      "RFC 6298 2.4 (whenever RTO is computed, if it is less than 1 second, then the RTO SHOULD be rounded up to 1 second)",
	Expected: "an RTO of at least 1 s, so that a receiver holding its ACK of a lone segment (up to 500 ms, RFC 9293 3.8.6.3) draws no retransmission on a wire that lost nothing",
	Instead:  "floors its RTO at 200 ms: against a receiver that holds its ACK longer (lwIP's delayed ACK waits for its 250 ms fast timer) it resends data that had arrived, 200 ms after sending it",
	Source:   "MinRTO (200 * time.Millisecond) in pkg/tcpip/transport/tcp/snd.go, applied by sender.updateRTO (if s.RTO < s.minRTO)",
	Shown:    "go run ./cmd/tcpbed run ack-of-unsent-data --client lwip --server gvisor --seed 1",
})

// GVisorTimeWaitDropsOldSYN: in TIME-WAIT gVisor sends a SYN above
// RCV.NXT to the listener and drops any other segment without ACK,
// before the sequence check that would answer it.
var GVisorTimeWaitDropsOldSYN = RegisterDeviation(Deviation{
	Name:     "gvisor-time-wait-drops-old-syn",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.10.7.4 (first, check the sequence number: an unacceptable segment draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; fourth, a SYN in a synchronized state draws a challenge ACK, RFC 5961 4)",
	Expected: "a SYN at or below RCV.NXT reaching TIME-WAIT is answered with an ACK of the old connection",
	Instead:  "drops it silently: the new connection's SYNs go unanswered until its opener gives up or TIME-WAIT ends",
	Source:   "receiver.handleTimeWaitSegment in pkg/tcpip/transport/tcp/rcv.go (\"Drop the segment if it does not contain an ACK\", checked before the sequence number)",
	Shown:    "go run ./cmd/tcpbed run time-wait-reuse --client lwip --server gvisor --seed 1",
})

// GVisorACKsOncePerWake: gVisor's receiver sends one ACK for all the
// segments its processor takes from an endpoint's queue in one wake.
var GVisorACKsOncePerWake = RegisterDeviation(Deviation{
	Name:     "gvisor-acks-once-per-wake",
	Peer:     GVisor,
	RFC:      "RFC 9293 3.8.6.3 (SHLD-19: in a stream of full-sized segments there SHOULD be an ACK for at least every second segment), RFC 5681 4.2",
	Expected: "an ACK for at least every second full-sized segment, however many arrive together",
	Instead: "one ACK for every segment it processed in one wake (up to 100): three full-sized segments that a jittery link " +
		"bunches into one instant draw one ACK. Outside the harness, on its own channel link and real clock, gVisor sends " +
		"about 3 ACKs per 100 segments of a bulk transfer (make bench: Bulk pair=gvisor-raw, acks/seg)",
	Source: "Endpoint.handleSegmentsLocked in pkg/tcpip/transport/tcp/connect.go: the loop over up to maxSegmentsPerWake segments " +
		"sends nothing for in-order data; \"Send an ACK for all processed packets if needed\" after it sends one",
	Shown: "go run ./cmd/tcpbed run delayed-ack-cellular --client gvisor --server gvisor --seed 1",
})
