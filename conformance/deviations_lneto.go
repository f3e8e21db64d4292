package conformance

// The known departures of github.com/soypat/lneto v0.3.2 from the RFCs,
// each with the rule, what lneto does instead, where its code does it (file
// paths inside the module) and the run that shows it. Each is also shown by
// a test that drives lneto alone (harness/lneto/departures_test.go), so
// none is an artefact of how the peer drives it. A scenario accepts one
// only at a lneto end (Env.Deviates).

// LnetoTimeWaitUntimed: lneto keeps no TIME-WAIT timer.
var LnetoTimeWaitUntimed = RegisterDeviation(Deviation{
	Name:     "lneto-time-wait-untimed",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.10.7.4 (TIME-WAIT) and 3.3.2",
	Expected: "an end that closed first to hold TIME-WAIT for 2MSL, acknowledging a retransmitted FIN and restarting the 2MSL wait, then to go CLOSED",
	Instead: "the dialing end stays in TIME-WAIT for ever with no deadline, and once it has sent its last ACK it is out of the port table, so a " +
		"retransmitted FIN gets no ACK; an accepted connection leaves TIME-WAIT at once (its listener hands it back to the pool on the next transmit attempt)",
	Source: "Handler.Send in tcp/handler.go (after the ACK sent from TIME-WAIT it resets the handler; IsTxOver then refuses every segment), " +
		"RTO.PostTx in tcp/rto.go (times data only), Listener.Encapsulate in tcp/listener.go (returnAccepted on net.ErrClosed); " +
		"TestLnetoTimeWaitHasNoTimer",
	Shown: "go run ./cmd/tcpbed run time-wait --client lneto --server gvisor --seed 1",
})

// LnetoFINFromCloseWaitUnasked: lneto answers a FIN with its own, with no
// CLOSE from its application.
var LnetoFINFromCloseWaitUnasked = RegisterDeviation(Deviation{
	Name:     "lneto-fin-from-close-wait-unasked",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.6 and 3.10.4 (CLOSE in CLOSE-WAIT)",
	Expected: "an end that received a FIN to stay in CLOSE-WAIT, still able to send, until its user calls CLOSE",
	Instead: "as soon as it has nothing queued it sends its FIN and goes LAST-ACK by itself, so a half-closed connection cannot carry data " +
		"the other way after the FIN, and the application's own Close then fails (net.ErrClosed)",
	Source: "Handler.Send in tcp/handler.go: \"Remote closed with no application data left to send: initiate our own close\"; " +
		"TestLnetoSendsFINFromCloseWaitUnasked",
	Shown: "go run ./cmd/tcpbed run half-close --client gvisor --server lneto --seed 1",
})

// LnetoAbortSendsNoRST: lneto's Abort drops the connection silently.
var LnetoAbortSendsNoRST = RegisterDeviation(Deviation{
	Name:     "lneto-abort-sends-no-rst",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.10.5 (ABORT in a synchronized state)",
	Expected: "ABORT to send a RST <SEQ=SND.NXT>, so the other end learns the connection is gone",
	Instead:  "Conn.Abort drops every state of the connection and sends nothing: the other end keeps its connection until it times out",
	Source:   "Handler.Abort in tcp/handler.go and ControlBlock.Abort in tcp/control.go (reset the block, clear the ports); TestLnetoAbortSendsNoRST",
	Shown:    "go run ./cmd/tcpbed run abort --client lneto --server gvisor --seed 1",
})

// LnetoNoHandshakeRetransmission: lneto's RTO times data only.
var LnetoNoHandshakeRetransmission = RegisterDeviation(Deviation{
	Name:     "lneto-no-handshake-retransmission",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.8.1, RFC 6298 5 and 5.7",
	Expected: "a SYN or SYN-ACK that goes unanswered to be retransmitted on the retransmission timer, backing off, until the connection is given up",
	Instead: "no timer runs for a SYN or SYN-ACK: one lost SYN (or SYN-ACK) leaves the connection in SYN-SENT (SYN-RECEIVED) for ever; " +
		"only the application can resend it (Conn.RequeueControl, which lneto's x/xnet dialer calls on its own timeout)",
	Source: "RTO.PostTx in tcp/rto.go: \"only data segments are timed / arm the RTO\"; Handler.Send in tcp/handler.go resends a SYN only on requeueControl; " +
		"TestLnetoNeverRetransmitsItsSYN",
	Shown: "go run ./cmd/tcpbed run syn-retransmit --client lneto --server gvisor --seed 1",
})

// LnetoNoFINRetransmission: lneto's RTO times data only, so a lost FIN
// is never sent again.
var LnetoNoFINRetransmission = RegisterDeviation(Deviation{
	Name:     "lneto-no-fin-retransmission",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.10.4 and 3.8.1, RFC 6298 5",
	Expected: "a FIN, which occupies sequence space, to be retransmitted on the retransmission timer until it is acknowledged",
	Instead: "no timer runs for a FIN: if it or its ACK is lost the connection stays in FIN-WAIT-1, CLOSING or LAST-ACK for ever, " +
		"and the other end, its ACK lost, never sees the FIN it should ACK again",
	Source: "RTO.PostTx in tcp/rto.go: \"only data segments are timed / arm the RTO\" (a FIN carries none); TestLnetoNeverRetransmitsItsFIN",
	Shown:  "go run ./cmd/tcpbed run time-wait-fin-retransmit --client gvisor --server lneto --seed 1",
})

// LnetoAbortsAfterUnacceptableSegments: a burst past a lost segment ends
// the connection.
var LnetoAbortsAfterUnacceptableSegments = RegisterDeviation(Deviation{
	Name:     "lneto-aborts-after-8-unacceptable-segments",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.10.7.4 (first check: an unacceptable segment draws an ACK and is dropped)",
	Expected: "every unacceptable segment to draw an ACK and be dropped, the connection going on",
	Instead: "it holds at most 8 segments out of order, takes each one beyond those as unacceptable, and after 8 such in a row aborts the " +
		"connection without a RST: one loss in a window of more than 16 segments ends the connection (fast-retransmit gvisor->lneto: CLOSED after 42340 of 262144 bytes)",
	Source: "ControlBlock.validateIncomingSegment in tcp/control.go (tooManyChallengeAcks, maxChallengeRejects = 8); maxReasmSegments = 8 in tcp/reassembly.go; " +
		"TestLnetoAbortsAfterEightUnacceptableSegments",
	Shown: "go run ./cmd/tcpbed run fast-retransmit --client gvisor --server lneto --seed 1",
})

// LnetoEndlessResend: lneto's duplicate-ACK count takes data segments and
// its retransmit count saturates.
var LnetoEndlessResend = RegisterDeviation(Deviation{
	Name:     "lneto-endless-resend",
	Peer:     Lneto,
	RFC:      "RFC 5681 2 (a duplicate ACK carries no data) and 3.2 (one fast retransmission on the third duplicate ACK)",
	Expected: "only segments that carry no data and acknowledge nothing new to count as duplicate ACKs, and one retransmission on the third",
	Instead: "every data segment from the other end that acknowledges nothing new counts, each past the third resends the oldest segment, " +
		"and once it has resent it 250 times its count saturates: it resends that segment on every transmit attempt without end " +
		"(bulk-transfer-both-ways lneto->gvisor: 16384 copies of seq 458746:460206 at one instant)",
	Source: "ControlBlock.Recv (dupack counted for data segments), ControlBlock.Send (nRetransmit capped at 250) and " +
		"ControlBlock.HasPendingRetransmit in tcp/control.go; TestLnetoResendsWithoutEndOnceItsRetransmitCountSaturates",
	Shown: "go run ./cmd/tcpbed run bulk-transfer-both-ways --client lneto --server gvisor --seed 1",
})

// LnetoIgnoresKeepAliveProbes: lneto drops a keep-alive probe unanswered.
var LnetoIgnoresKeepAliveProbes = RegisterDeviation(Deviation{
	Name:     "lneto-ignores-keep-alive-probes",
	Peer:     Lneto,
	RFC:      "RFC 1122 4.2.3.6 and RFC 9293 3.10.7.4 (an unacceptable segment draws an ACK)",
	Expected: "a keep-alive probe (SEG.SEQ = RCV.NXT-1, no data) to draw an ACK, which is what keeps the connection alive",
	Instead:  "it recognises the probe and drops it silently: the prober counts the connection dead",
	Source:   "Handler.Recv in tcp/handler.go (IncomingIsKeepalive: return nil); TestLnetoIgnoresKeepAliveProbes",
	Shown:    "go run ./cmd/tcpbed run keepalive --client gvisor --server lneto --seed 1",
})

// LnetoNoRSTOnCloseWithUnreadData: lneto's close with data unread is a FIN.
var LnetoNoRSTOnCloseWithUnreadData = RegisterDeviation(Deviation{
	Name:     "lneto-no-rst-on-close-with-unread-data",
	Peer:     Lneto,
	RFC:      "RFC 1122 4.2.2.13 and RFC 9293 3.6",
	Expected: "a CLOSE while received data is still unread to send a RST, to show that data was lost",
	Instead:  "it sends a FIN, as for an orderly close; the unread data is dropped",
	Source:   "Handler.ShutdownRead and Handler.Close in tcp/handler.go: neither looks at the bytes buffered unread",
	Shown:    "go run ./cmd/tcpbed run close-unread --client lneto --server gvisor --seed 1",
})

// LnetoResetNotReported: lneto's application cannot tell a reset from a
// close.
var LnetoResetNotReported = RegisterDeviation(Deviation{
	Name:     "lneto-reset-not-reported",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.10.7.3 and 3.10.7.4 (RST: the user is told \"connection reset\" or, in SYN-SENT, \"connection refused\")",
	Expected: "the application's next Read or Write after a RST to report the reset (ECONNRESET) or the refusal (ECONNREFUSED)",
	Instead:  "they say net.ErrClosed, as for a connection closed in order: lneto keeps no record of why it closed",
	Source:   "ControlBlock.handleRST in tcp/control.go (resets the block, no reason kept); Conn.Read and Conn.checkPipe in tcp/conn.go (closed: net.ErrClosed)",
	Shown:    "go run ./cmd/tcpbed run half-open --client lneto --server gvisor --seed 1",
})

// LnetoOffersOnlyMSS: lneto v0.3.2 has none of the RFC 7323 and 2018
// extensions.
var LnetoOffersOnlyMSS = RegisterDeviation(Deviation{
	Name:     "lneto-offers-only-mss",
	Peer:     Lneto,
	RFC:      "RFC 7323 2.2 and 3.2, RFC 2018 2",
	Expected: "a SYN and SYN-ACK to offer window scale, timestamps and SACK-permitted, as every other stack of the catalogue does",
	Instead:  "it offers MSS alone and takes none of the others: its window stops at 65535 bytes, it cannot apply PAWS, and it recovers losses without SACK",
	Source:   "Handler.Send in tcp/handler.go (a SYN or SYN-ACK carries PutOption16(OptMaxSegmentSize) and nothing else)",
	Shown:    "go run ./cmd/tcpbed run handshake-options --client lneto --server gvisor --seed 1",
})

// LnetoAnswersMartianSource: lneto checks a packet's destination only.
var LnetoAnswersMartianSource = RegisterDeviation(Deviation{
	Name:     "lneto-answers-martian-source",
	Peer:     Lneto,
	RFC:      "RFC 1122 3.2.1.3",
	Expected: "a segment from a source no wire may carry (0.0.0.0, a broadcast or multicast address) to be discarded silently",
	Instead:  "it answers a SYN from 0.0.0.0 with a SYN-ACK to 0.0.0.0",
	Source:   "stackip4.demux4 in internet/stack-ip4.go: only the destination address is checked",
	Shown:    "go run ./cmd/tcpbed run martian-source --client gvisor --server lneto --seed 1",
})

// LnetoNoReassembly: lneto has no IPv4 reassembly.
var LnetoNoReassembly = RegisterDeviation(Deviation{
	Name:     "lneto-no-ip-reassembly",
	Peer:     Lneto,
	RFC:      "RFC 791 3.2 and RFC 1122 3.3.2 (MUST reassemble)",
	Expected: "a segment that came in IPv4 fragments to be reassembled and taken in",
	Instead:  "a fragmented SYN gets no SYN-ACK: lneto's IPv4 layer reads the fragment fields nowhere",
	Source:   "stackip4.demux4 in internet/stack-ip4.go (no fragment offset or more-fragments test; the ipv4 package has no reassembly)",
	Shown:    "go run ./cmd/tcpbed run fragmented-segments --client gvisor --server lneto --seed 1",
})

// LnetoNoZeroWindowProbe: lneto stops at a zero window.
var LnetoNoZeroWindowProbe = RegisterDeviation(Deviation{
	Name:     "lneto-no-zero-window-probe",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.8.6.1 and RFC 1122 4.2.2.17",
	Expected: "a sender facing a zero window to probe it, on a backing-off timer, for as long as the other end answers",
	Instead:  "it sends nothing while the window is zero, so a lost window update leaves both ends waiting for ever",
	Source:   "ControlBlock.PendingSegment in tcp/control.go (no segment when the usable window is zero); RTO in tcp/rto.go (no persist timer)",
	Shown:    "go run ./cmd/tcpbed run zero-window --client lneto --server gvisor --seed 1",
})

// LnetoDefaultMSSIgnored: lneto sends full-sized segments to a peer that
// gave no MSS.
var LnetoDefaultMSSIgnored = RegisterDeviation(Deviation{
	Name:     "lneto-default-mss-ignored",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.7.1 (MUST-15: no MSS option means 536)",
	Expected: "segments of at most 536 bytes to a peer whose SYN carried no MSS option",
	Instead:  "it sends segments as large as its own buffer allows (1460 bytes on a 1500-byte link)",
	Source:   "Handler.Recv in tcp/handler.go sets snd.MSS only from an option; ControlBlock.PendingSegment in tcp/control.go caps by MSS only when it is set",
	Shown:    "go run ./cmd/tcpbed run syn-without-mss --client gvisor --server lneto --seed 1",
})

// LnetoReorderedDataCorrupted: lneto's application reads changed bytes
// after a segment arrived out of order.
var LnetoReorderedDataCorrupted = RegisterDeviation(Deviation{
	Name:     "lneto-reordered-data-corrupted",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.4 and 3.10.7.4 (segments beyond RCV.NXT held for later processing; text delivered in sequence)",
	Expected: "a segment that arrived ahead of RCV.NXT to be held and its text delivered once the gap is filled, so the application reads the stream as sent",
	Instead: "it stages the held segment in its receive ring at an offset from the ring's write position; a Read that empties the ring resets " +
		"the ring's offsets to 0, so when the gap is filled the ring delivers whatever lies at the new place instead of the held bytes " +
		"(out-of-order gvisor->lneto: the 524288 bytes read are not the bytes written)",
	Source: "Ring.onReadEnd (calls Ring.Reset when a read empties the ring) in internal/ring.go, with reassembly.store (Ring.PeekWrite at writeStart()+gap) " +
		"and reassembly.reassemble (Ring.Commit) in tcp/reassembly.go, called from Handler.Read and Handler.Recv in tcp/handler.go; " +
		"TestLnetoReorderedDataCorruptedByARead (and TestLnetoReorderedDataIntactWithoutARead: no Read while the segment is held, no corruption)",
	Shown: "go run ./cmd/tcpbed run out-of-order --client gvisor --server lneto --seed 1",
})

// LnetoFullBufferDropsUnanswered: with its receive buffer full, lneto
// answers no segment that carries data, zero-window probes included.
var LnetoFullBufferDropsUnanswered = RegisterDeviation(Deviation{
	Name:     "lneto-full-buffer-drops-unanswered",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.10.7.4 (an unacceptable segment draws an ACK) and RFC 1122 4.2.2.17 (a receiver at zero window keeps acknowledging probes)",
	Expected: "a zero-window probe, or any segment with text the closed window cannot take, to draw an ACK that reports the window",
	Instead:  "with its receive buffer full it drops every segment carrying data before it looks at its sequence number, and sends nothing: the prober hears no window",
	Source:   "Handler.Recv in tcp/handler.go (len(payload) > h.bufRx.Free(): return lneto.ErrBufferFull, before ControlBlock.Recv); TestLnetoFullBufferDropsDataUnanswered",
	Shown:    "go run ./cmd/tcpbed run zero-window --client gvisor --server lneto --seed 1",
})

// LnetoSYNInSynchronizedStateDrawsRST: lneto's port table answers a SYN
// its connection dropped with a RST as for a closed port.
var LnetoSYNInSynchronizedStateDrawsRST = RegisterDeviation(Deviation{
	Name:     "lneto-syn-in-synchronized-state-draws-rst",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.10.7.4 (fourth check, SYN in a synchronized state) and RFC 5961 4.2",
	Expected: "a SYN in a synchronized state to draw a challenge ACK and be dropped, nothing else",
	Instead: "after the challenge ACK it also sends a RST|ACK <SEQ=0><ACK=SEG.SEQ+1>, as to a SYN for a port with no listener: the connection drops " +
		"the SYN with errDropSegment, which is lneto.ErrPacketDrop, the error the port table reads as \"no one took it\"",
	Source: "ControlBlock.Recv in tcp/control.go (SYN on a synchronized connection: challenge ACK, errDropSegment = lneto.ErrPacketDrop in tcp/definitions.go); " +
		"StackPorts.Demux in internet/stack-ports.go (ErrPacketDrop for a SYN: rstQueue.Queue RST|ACK); TestLnetoSYNInEstablishedDrawsRST",
	Shown: "go run ./cmd/tcpbed run syn-in-established --client lneto --server gvisor --seed 1",
})

// LnetoGoBackNOnRTO: on a retransmission timeout lneto resends everything
// from SND.UNA.
var LnetoGoBackNOnRTO = RegisterDeviation(Deviation{
	Name:     "lneto-go-back-n-on-rto",
	Peer:     Lneto,
	RFC:      "RFC 6298 5.4 (on expiry, retransmit the earliest segment not yet acknowledged) and RFC 5681 3.1",
	Expected: "a retransmission timeout to resend the earliest unacknowledged segment, the rest following only as the window and ACKs allow, so that data that had arrived is seldom sent again",
	Instead:  "it rewinds SND.NXT to SND.UNA and resends the whole flight, go-back-N, whether the later segments had arrived or not",
	Source:   "Handler.Send in tcp/handler.go (PreTx RetransmitAll: ControlBlock.RetransmitAll in tcp/control.go and ringTx.RetransmitFromUNA, \"Go-back-N retransmission directed by loss recovery\"), RTO.PreTx in tcp/rto.go",
	Shown:    "go run ./cmd/tcpbed run fast-retransmit --client lneto --server gvisor --seed 1",
})

// LnetoUnacceptedConnectionSilent: lneto's Listener sends only for the
// connections still in their handshake and those the application has
// accepted; one that reached ESTABLISHED and waits in the accept queue
// sends nothing, the ACKs of the data it takes included.
var LnetoUnacceptedConnectionSilent = RegisterDeviation(Deviation{
	Name:     "lneto-unaccepted-connection-silent",
	Peer:     Lneto,
	RFC:      "RFC 9293 3.8.6.3 (MUST-40: an ACK's delay MUST be less than 0.5 seconds)",
	Expected: "data that reaches an ESTABLISHED connection acknowledged within 500 ms, whether or not the application has accepted the connection yet",
	Instead:  "holds every ACK of a connection that waits in its listener's accept queue until the application accepts it (listen-backlog ours->lneto: 16 bytes taken at 3 ms, acknowledged at 10 s, after the client resent them four times)",
	Source:   "Listener.Encapsulate in tcp/listener.go (the incoming loop skips a connection in StateEstablished; only accepted connections send)",
	Shown:    "go run ./cmd/tcpbed run listen-backlog --client ours --server lneto --seed 1",
})
