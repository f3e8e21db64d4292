package fuzz

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	gvseqnum "gvisor.dev/gvisor/pkg/tcpip/seqnum"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// exception is a place where ours and gVisor's header package disagree on
// purpose. Each is decided by the RFC; the differential target accepts the
// disagreement only in the shape described here, and
// TestDifferentialExceptions shows each one happening.
type exception struct {
	name    string
	rfc     string
	ours    string
	gvisor  string
	example func() []byte // a packet that shows it
}

const (
	excFragment         = "fragment"
	excOptionBadLength  = "option-bad-length"
	excOptionWrongKind  = "option-wrong-length-for-kind"
	excSACKNoBlocks     = "sack-no-blocks"
	excMSSZero          = "mss-zero"
	excMSSClamp         = "mss-clamp"
	excWindowScaleClamp = "window-scale-clamp"
	excSYNTSEcr         = "syn-tsecr"
)

var exceptions = slices.Concat(exceptions4, exceptions6)

var exceptions4 = []exception{
	{
		name:   excFragment,
		rfc:    "RFC 791 section 3.2 (fragmentation and reassembly)",
		ours:   "MF set or offset != 0 is ErrFragment: tcpbed does not reassemble",
		gvisor: "the header package parses a fragment like any packet; reassembly is the network layer's job",
		example: func() []byte {
			return brokeSeed("data", func(b []byte) { b[6] |= 0x20 })
		},
	},
	{
		name:   excOptionBadLength,
		rfc:    "RFC 9293 section 3.2 (MUST-7: handle an illegal option length without crashing)",
		ours:   "a length byte below 2, missing, or running past the header is ErrOptionLength: the segment is dropped",
		gvisor: "ParseSynOptions/ParseTCPOptions stop parsing at it and keep the options found before it",
		example: func() []byte {
			return brokeSeed("syn-every-option", func(b []byte) { b[56], b[57] = 30, 0 })
		},
	},
	{
		name:   excOptionWrongKind,
		rfc:    "RFC 9293 section 3.2 (MSS length 4), RFC 7323 sections 2.2 and 3.2 (window scale 3, timestamps 10), RFC 2018 sections 2 and 3 (SACK-permitted 2, SACK 8n+2)",
		ours:   "a known option with another length is an illegal length: ErrOptionLength",
		gvisor: "stops parsing at it (ParseSynOptions; TS and SACK in ParseTCPOptions), or skips it by its length (MSS, window scale, SACK-permitted in ParseTCPOptions, SACK in ParseSynOptions)",
		example: func() []byte {
			return brokeSeed("syn-every-option", func(b []byte) { b[41] = 3 })
		},
	},
	{
		name:   excSACKNoBlocks,
		rfc:    "RFC 2018 section 3 (length 8n+2; a SACK option reports at least one block)",
		ours:   "a SACK option of length 2 is ErrOptionLength",
		gvisor: "ParseTCPOptions accepts it as an empty block list, replacing blocks seen earlier",
		example: func() []byte {
			return brokeSeed("ack-sack", func(b []byte) { b[55] = 2; b[32] = 0x90; b[3] = 56 }, 56)
		},
	},
	{
		name:   excMSSZero,
		rfc:    "RFC 9293 section 3.7.1 (the MSS option value is the receiver's limit; the parser reports it)",
		ours:   "MSS 0 is reported as sent and parsing goes on; the TCB decides",
		gvisor: "ParseSynOptions stops parsing at an MSS of 0: it keeps the default 536 and ignores every later option",
		example: func() []byte {
			return brokeSeed("syn-every-option", func(b []byte) { b[42], b[43] = 0, 0 })
		},
	},
	{
		name:   excMSSClamp,
		rfc:    "RFC 9293 section 3.7.1, RFC 1122 section 4.2.2.6 (the sender chooses the effective MSS)",
		ours:   "MSS is reported as sent",
		gvisor: "ParseSynOptions raises an MSS below TCPMinimumSendMSS (48) to 48",
		example: func() []byte {
			return brokeSeed("syn-every-option", func(b []byte) { b[42], b[43] = 0, 8 })
		},
	},
	{
		name:   excWindowScaleClamp,
		rfc:    "RFC 7323 section 2.3 (a shift above 14: log it, use 14)",
		ours:   "the shift is reported as sent; the TCB uses 14",
		gvisor: "ParseSynOptions clamps the shift to 14",
		example: func() []byte {
			return brokeSeed("syn-every-option", func(b []byte) { b[59] = 15 })
		},
	},
	{
		name:   excSYNTSEcr,
		rfc:    "RFC 7323 section 3.2 (TSecr is valid only when ACK is set)",
		ours:   "TSEcr is reported as sent",
		gvisor: "ParseSynOptions leaves TSEcr 0 unless the segment has ACK",
		example: func() []byte {
			return brokeSeed("syn-every-option", func(b []byte) { b[52] = 0x99 })
		},
	},
}

// brokeSeed encodes a real packet, optionally cuts it to cut[0] bytes,
// applies f and fixes the checksums.
func brokeSeed(name string, f func(b []byte), cut ...int) []byte {
	b := encode(realPackets()[name], wire.Illegal{})
	if len(cut) > 0 {
		b = b[:cut[0]]
	}
	f(b)
	return fixedSeed(b)
}

func fixedSeed(b []byte) []byte { fixChecksums(b); return b }

// fuzzDifferential is the parser's differential fuzz target
// (differential_test.go) for one input.
func fuzzDifferential(t fuzzT, b []byte) {
	differential(t, b)
	// Mutations rarely keep a checksum right; the same bytes with both
	// checksums fixed reach the comparisons of valid packets too.
	differential(t, fixedSeed(bytes.Clone(b)))
}

// differential compares ours with gVisor on b, reporting every disagreement
// with both answers, and returns the exceptions it relied on.
func differential(t fuzzT, b []byte) (used []string) {
	t.Helper()
	if wire.IPVersion(b) == wire.IPv6Version {
		return differential6(t, b)
	}
	use := func(name string) { used = append(used, name) }
	p, err := wire.Parse(b)
	checksumOnly := err == nil || errors.Is(err, wire.ErrIPChecksum) || errors.Is(err, wire.ErrTCPChecksum)

	// IPv4, as gVisor's network layer validates it.
	ip := header.IPv4(b)
	gvIPValid := len(b) >= header.IPv4MinimumSize && ip.IsValid(len(b))
	switch {
	case checksumOnly:
		if !gvIPValid {
			t.Fatalf("ours parses the IPv4 header (err %v); gVisor: IPv4.IsValid false", err)
		}
	case errors.Is(err, wire.ErrTruncated), errors.Is(err, wire.ErrNotIPv4), errors.Is(err, wire.ErrBadIHL), errors.Is(err, wire.ErrTotalLength):
		if gvIPValid {
			// Ours also calls a TCP header shorter than 20 bytes truncated.
			if !errors.Is(err, wire.ErrTruncated) || int(ip.PayloadLength()) >= header.TCPMinimumSize {
				t.Fatalf("ours: %v; gVisor: IPv4.IsValid true", err)
			}
		}
		return used
	}
	if !gvIPValid {
		t.Fatalf("ours: %v; gVisor: IPv4.IsValid false", err)
	}
	compareIPv4(t, ip, p.IP)
	if got, want := wire.IPv4(b).HeaderChecksumValid(), ip.IsChecksumValid(); got != want {
		t.Fatalf("IPv4 checksum valid: ours %v, gVisor %v", got, want)
	}
	if errors.Is(err, wire.ErrFragment) {
		use(excFragment)
		if !ip.More() && ip.FragmentOffset() == 0 {
			t.Fatalf("ours: %v; gVisor: MF clear, offset 0", err)
		}
		return used
	}
	if errors.Is(err, wire.ErrNotTCP) {
		if ip.Protocol() == uint8(header.TCPProtocolNumber) {
			t.Fatalf("ours: %v; gVisor: protocol %d", err, ip.Protocol())
		}
		return used
	}
	if ip.Protocol() != uint8(header.TCPProtocolNumber) || ip.More() || ip.FragmentOffset() != 0 {
		t.Fatalf("ours: %v; gVisor: protocol %d, MF %v, offset %d", err, ip.Protocol(), ip.More(), ip.FragmentOffset())
	}

	used = append(used, compareTCP(t, ip.Payload(), int(ip.HeaderLength()), p.TCP, err, checksumOnly, p.IP.Src, p.IP.Dst)...)
	// Ours reports the IP checksum fault once the TCP header is read.
	if checksumOnly {
		if got, want := !errors.Is(err, wire.ErrIPChecksum), ip.IsChecksumValid(); got != want {
			t.Fatalf("IPv4 checksum valid: ours %v (%v), gVisor %v", got, err, want)
		}
	}
	return used
}

// compareTCP compares ours with gVisor on the TCP segment seg, at offset
// base in the packet, sent from src to dst: err and ours are what ours
// made of the whole packet; checksumOnly says ours found nothing but
// checksum faults (whose Segment is complete).
func compareTCP(t fuzzT, seg []byte, base int, ours wire.Segment, err error, checksumOnly bool, src, dst netip.Addr) (used []string) {
	t.Helper()
	// TCP, as gVisor's TCPValid checks the header.
	if len(seg) < header.TCPMinimumSize {
		if !errors.Is(err, wire.ErrTruncated) {
			t.Fatalf("ours: %v; gVisor: TCP segment of %d bytes", err, len(seg))
		}
		return used
	}
	tcp := header.TCP(seg)
	gvTCPValid := int(tcp.DataOffset()) >= header.TCPMinimumSize && int(tcp.DataOffset()) <= len(tcp)
	compareTCPFixed(t, tcp, ours)
	if !gvTCPValid {
		if !errors.Is(err, wire.ErrBadDataOffset) {
			t.Fatalf("ours: %v; gVisor: data offset %d bytes in a %d-byte segment", err, tcp.DataOffset(), len(tcp))
		}
		return used
	}
	if errors.Is(err, wire.ErrBadDataOffset) {
		t.Fatalf("ours: %v; gVisor: data offset %d bytes in a %d-byte segment is valid", err, tcp.DataOffset(), len(tcp))
	}
	opts := tcp.Options()
	isSYN := tcp.Flags().Contains(header.TCPFlagSyn)
	isAck := tcp.Flags().Contains(header.TCPFlagAck)
	if errors.Is(err, wire.ErrOptionLength) {
		var pe *wire.ParseError
		errors.As(err, &pe)
		return append(used, compareMalformedOptions(t, opts, pe.Offset-base-header.TCPMinimumSize, isSYN, isAck)...)
	}
	if !checksumOnly {
		t.Fatalf("ours: %v; gVisor finds nothing wrong", err)
	}

	// Options.
	used = append(used, compareOptions(t, opts, ours.Options, isSYN, isAck)...)
	if !bytes.Equal(ours.Payload, tcp.Payload()) {
		t.Fatalf("payload: ours %d bytes, gVisor %d bytes", len(ours.Payload), len(tcp.Payload()))
	}

	// The TCP checksum: ours may report an IP fault first, so ask ParseTCP.
	_, tcpErr := wire.ParseTCP(seg, src, dst)
	payload := tcp.Payload()
	gvTCPSum := tcp.IsChecksumValid(gvAddr(src), gvAddr(dst), checksum.Checksum(payload, 0), uint16(len(payload)))
	if got := tcpErr == nil; got != gvTCPSum {
		t.Fatalf("TCP checksum valid: ours %v (%v), gVisor %v", got, tcpErr, gvTCPSum)
	}
	if tcpErr != nil && !errors.Is(tcpErr, wire.ErrTCPChecksum) {
		t.Fatalf("ParseTCP: %v after Parse accepted the segment", tcpErr)
	}
	return used
}

// gvAddr is a as gVisor's tcpip.Address, of its own family.
func gvAddr(a netip.Addr) tcpip.Address {
	if a.Is4() {
		return tcpip.AddrFrom4(a.As4())
	}
	return tcpip.AddrFrom16(a.As16())
}

func compareIPv4(t fuzzT, ip header.IPv4, ours wire.IPv4Fields) {
	t.Helper()
	// Compared by hand, not with cmp: this runs on every fuzz input.
	type fixed struct {
		TOS             uint8
		TotalLength, ID uint16
		Flags           uint8
		FragOffset      uint16
		TTL, Protocol   uint8
		Checksum        uint16
		Src, Dst        netip.Addr
	}
	tos, _ := ip.TOS()
	gv := fixed{tos, ip.TotalLength(), ip.ID(), ip.Flags(), ip.FragmentOffset() / 8, ip.TTL(), ip.Protocol(), ip.Checksum(),
		netip.AddrFrom4(ip.SourceAddress().As4()), netip.AddrFrom4(ip.DestinationAddress().As4())}
	our := fixed{ours.TOS, ours.TotalLength, ours.ID, ours.Flags, ours.FragOffset, ours.TTL, ours.Protocol, ours.Checksum, ours.Src, ours.Dst}
	if gv != our || !bytes.Equal(ip.Options(), ours.Options) {
		t.Fatalf("IPv4 fields:\ngVisor %+v options % x\nours   %+v options % x", gv, []byte(ip.Options()), our, ours.Options)
	}
}

func compareTCPFixed(t fuzzT, tcp header.TCP, ours wire.Segment) {
	t.Helper()
	type fixed struct {
		SrcPort, DstPort uint16
		Seq, Ack         uint32
		HeaderLen        int
		Flags            uint8
		Window           uint16
		Checksum         uint16
		Urgent           uint16
	}
	gv := fixed{tcp.SourcePort(), tcp.DestinationPort(), tcp.SequenceNumber(), tcp.AckNumber(), int(tcp.DataOffset()),
		uint8(tcp.Flags()), tcp.WindowSize(), tcp.Checksum(), tcp.UrgentPointer()}
	our := fixed{ours.SrcPort, ours.DstPort, uint32(ours.Seq), uint32(ours.Ack), int(ours.DataOffset) * 4,
		uint8(ours.Flags), ours.Window, ours.Checksum, ours.Urgent}
	if gv != our {
		t.Fatalf("TCP fields:\ngVisor %+v\nours   %+v", gv, our)
	}
}

// gvisorView is the part of our Options gVisor's parsers report, shaped as
// gVisor reports it.
func gvisorSynView(o wire.Options, isAck bool) (v header.TCPSynOptions, used []string) {
	v = header.TCPSynOptions{MSS: header.TCPDefaultMSS, WS: -1}
	if o.HasMSS {
		v.MSS = o.MSS
		if o.MSS < header.TCPMinimumSendMSS {
			used = append(used, excMSSClamp)
			v.MSS = header.TCPMinimumSendMSS
		}
	}
	if o.HasWindowScale {
		v.WS = int(o.WindowScale)
		if v.WS > header.MaxWndScale {
			used = append(used, excWindowScaleClamp)
			v.WS = header.MaxWndScale
		}
	}
	if o.HasTimestamps {
		v.TS, v.TSVal = true, o.TSVal
		if isAck {
			v.TSEcr = o.TSEcr
		} else if o.TSEcr != 0 {
			used = append(used, excSYNTSEcr)
		}
	}
	v.SACKPermitted = o.SACKPermitted
	return v, used
}

func gvisorTCPView(o wire.Options) header.TCPOptions {
	v := header.TCPOptions{TS: o.HasTimestamps, TSVal: o.TSVal, TSEcr: o.TSEcr}
	for _, b := range o.SACKBlocks[:o.NumSACKBlocks] {
		v.SACKBlocks = append(v.SACKBlocks, header.SACKBlock{Start: gvseqnum.Value(b.Left), End: gvseqnum.Value(b.Right)})
	}
	return v
}

// optionSpan is one option's place in the option bytes.
type optionSpan struct{ start, kind, length int }

// walkOptions lists well-formed options up to the first EOL or malformed one.
func walkOptions(opts []byte) []optionSpan {
	var spans []optionSpan
	for i := 0; i < len(opts); {
		switch opts[i] {
		case header.TCPOptionEOL:
			return spans
		case header.TCPOptionNOP:
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
			return append(spans, optionSpan{i, int(opts[i]), -1})
		}
		spans = append(spans, optionSpan{i, int(opts[i]), int(opts[i+1])})
		i += int(opts[i+1])
	}
	return spans
}

// compareOptions compares options ours accepted with gVisor's parse.
func compareOptions(t fuzzT, opts []byte, ours wire.Options, isSYN, isAck bool) (used []string) {
	t.Helper()
	if want, got := gvisorTCPView(ours), header.ParseTCPOptions(opts); !equalTCPOptions(want, got) {
		t.Fatalf("ParseTCPOptions(% x):\ngVisor %+v\nours as gVisor would report them %+v", opts, got, want)
	}
	if !isSYN {
		return used
	}
	// gVisor stops at an MSS of 0: compare with ours on the options before it.
	for _, s := range walkOptions(opts) {
		if s.kind == header.TCPOptionMSS && opts[s.start+2] == 0 && opts[s.start+3] == 0 {
			used = append(used, excMSSZero)
			if err := wire.ParseOptions(opts[:s.start], &ours); err != nil {
				t.Fatalf("ours rejects a prefix of options it accepted: %v", err)
			}
			break
		}
	}
	want, u := gvisorSynView(ours, isAck)
	used = append(used, u...)
	if got := header.ParseSynOptions(opts, isAck); got != want {
		t.Fatalf("ParseSynOptions(% x, ack %v):\ngVisor  %+v\nours as gVisor would report them %+v", opts, isAck, got, want)
	}
	return used
}

// compareMalformedOptions checks gVisor's side of excOptionBadLength,
// excOptionWrongKind and excSACKNoBlocks: where ours reports ErrOptionLength at
// offset off, gVisor either stopped parsing at that option or skipped it.
func compareMalformedOptions(t fuzzT, opts []byte, off int, isSYN, isAck bool) (used []string) {
	t.Helper()
	var bad optionSpan
	found := false
	for _, s := range walkOptions(opts) {
		if off == s.start || off == s.start+1 {
			bad, found = s, true
		}
	}
	if !found {
		t.Fatalf("ours: ErrOptionLength at option offset %d, which starts no option in % x", off, opts)
	}
	stopped := opts[:bad.start]
	var skipped []byte
	switch {
	case bad.length < 0:
		used = append(used, excOptionBadLength)
	case bad.kind == header.TCPOptionSACK && bad.length == 2:
		used = append(used, excSACKNoBlocks)
		skipped = nopOut(opts, bad)
	default:
		used = append(used, excOptionWrongKind)
		skipped = nopOut(opts, bad)
	}
	gvTCP := header.ParseTCPOptions(opts)
	matchesTCP := func(alt []byte) bool {
		if alt == nil {
			return false
		}
		want := header.ParseTCPOptions(alt)
		if bad.kind == header.TCPOptionSACK && bad.length == 2 && len(gvTCP.SACKBlocks) == 0 {
			want.SACKBlocks = nil // gVisor took it as an empty block list
		}
		return equalTCPOptions(gvTCP, want)
	}
	if !matchesTCP(stopped) && !matchesTCP(skipped) {
		t.Fatalf("ParseTCPOptions(% x) = %+v: neither stopped at nor skipped the malformed option at %d (ours: ErrOptionLength)", opts, gvTCP, bad.start)
	}
	if isSYN {
		gvSYN := header.ParseSynOptions(opts, isAck)
		if gvSYN != header.ParseSynOptions(stopped, isAck) && (skipped == nil || gvSYN != header.ParseSynOptions(skipped, isAck)) {
			t.Fatalf("ParseSynOptions(% x) = %+v: neither stopped at nor skipped the malformed option at %d (ours: ErrOptionLength)", opts, gvSYN, bad.start)
		}
	}
	return used
}

// equalTCPOptions compares gVisor's parsed options; an empty block list
// equals a nil one.
func equalTCPOptions(a, b header.TCPOptions) bool {
	return a.TS == b.TS && a.TSVal == b.TSVal && a.TSEcr == b.TSEcr && slices.Equal(a.SACKBlocks, b.SACKBlocks)
}

// nopOut returns opts with the option s replaced by NOPs.
func nopOut(opts []byte, s optionSpan) []byte {
	c := slices.Clone(opts)
	for i := s.start; i < s.start+s.length; i++ {
		c[i] = header.TCPOptionNOP
	}
	return c
}
