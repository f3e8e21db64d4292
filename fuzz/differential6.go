package fuzz

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

const (
	excJumbogram         = "jumbogram"
	excExperimentHeader  = "experiment-header"
	excRouterAlertLength = "router-alert-length"
)

// exceptions6 are the IPv6 places where ours and gVisor's header package
// disagree on purpose.
var exceptions6 = []exception{
	{
		name:   excJumbogram,
		rfc:    "RFC 2675 section 2 (the Jumbo Payload option's type 0xC2 makes a node that does not support jumbograms answer as for an unrecognized option)",
		ours:   "payload length 0 with a Jumbo Payload option is ErrJumbogram, answered with a Parameter Problem code 2 at the option",
		gvisor: "the payload iterator reads the Hop-by-Hop header within the payload length of 0 and fails: truncated",
		example: func() []byte {
			return seedNamed("v6-jumbogram")
		},
	},
	{
		name:   excExperimentHeader,
		rfc:    "RFC 8200 section 4 (a Next Header value the node does not recognize: discard, Parameter Problem code 1), RFC 4727 section 3.3 (253 and 254 are for experiments)",
		ours:   "Next Header 253 is not recognized: ErrUnknownNextHeader",
		gvisor: "IPv6PayloadIterator walks 253 as an 8-byte experiment extension header",
		example: func() []byte {
			return seedNamed("v6-unknown-next-header")
		},
	},
	{
		name:   excRouterAlertLength,
		rfc:    "RFC 8200 section 4.2 (an option type whose top bits are 00 is skipped by a node that does not recognize it), RFC 2711 section 2.1 (Router Alert, type 5, length 2, for routers)",
		ours:   "a host does not recognize Router Alert: type 5 is skipped by its length, whatever that is",
		gvisor: "the options iterator fails on a Router Alert option whose length is not 2",
		example: func() []byte {
			p := realPackets6()["v6-data"]
			p.IP.NextHeader, p.IP.ExtHeaders = nhHopByHop, extHeader(wire.ProtocolTCP, 5, 3, 0, 0, 0, 1)
			return encode6(p, wire.Illegal{})
		},
	},
}

// seedNamed is the seed of that name.
func seedNamed(name string) []byte {
	i := slices.IndexFunc(seeds(), func(s seed) bool { return s.name == name })
	return seeds()[i].bytes
}

// differential6 compares ours with gVisor on the IPv6 packet b: the fixed
// header as gVisor's IPv6.IsValid and accessors read it, the extension
// header chain as gVisor's IPv6PayloadIterator walks it under a host's rules
// (gvWalk6), and the TCP segment as differential does for IPv4.
func differential6(t fuzzT, b []byte) (used []string) {
	t.Helper()
	p, err := wire.ParseIPv6(b)
	var pe *wire.ParseError
	errors.As(err, &pe)
	ip := header.IPv6(b)
	gvValid := ip.IsValid(len(b))
	fixedFault := errors.Is(err, wire.ErrNotIPv6) || errors.Is(err, wire.ErrTruncated) && pe.Offset < wire.IPv6HeaderLen
	if gvValid == fixedFault {
		t.Fatalf("ours: %v; gVisor: IPv6.IsValid %v", err, gvValid)
	}
	if !gvValid {
		return used
	}
	compareIPv6(t, ip, p.IP)

	if errors.Is(err, wire.ErrJumbogram) {
		// gVisor's side: within the payload length the Hop-by-Hop header
		// is truncated; within the link's bytes (gVisor's Payload is cut to the payload length) its walk finds the Jumbo
		// Payload option where ours does.
		used = append(used, excJumbogram)
		if v := gvWalk6(ip.NextHeader(), ip.Payload()); !errors.Is(v.fault, wire.ErrTruncated) {
			t.Fatalf("ours: %v; gVisor's walk within payload length %d: %v", err, ip.PayloadLength(), v.fault)
		}
		v := gvWalk6(ip.NextHeader(), b[header.IPv6MinimumSize:])
		if !errors.Is(v.fault, wire.ErrUnknownOption) || v.offset != pe.Offset || v.value != 0xc2 {
			t.Fatalf("ours: %v; gVisor's walk of the link's bytes: %v at %d, value %#x", err, v.fault, v.offset, v.value)
		}
		return used
	}

	payload := ip.Payload()
	v := gvWalk6(ip.NextHeader(), payload)
	used = append(used, v.used...)
	switch {
	case v.stopped:
		return used
	case v.fault != nil:
		if !errors.Is(err, v.fault) {
			t.Fatalf("ours: %v; gVisor's walk: %v at offset %d", err, v.fault, v.offset)
		}
		// A truncated header's offset is its start or its length byte.
		if !errors.Is(v.fault, wire.ErrTruncated) && (pe.Offset != v.offset || pe.Value != v.value) {
			t.Fatalf("ours: %v; gVisor's walk: %v at offset %d, value %d", err, v.fault, v.offset, v.value)
		}
		return used
	}
	// gVisor reached TCP at v.offset.
	if chainFault := err != nil && pe.Offset < v.offset; chainFault {
		t.Fatalf("ours: %v; gVisor's walk reaches TCP at offset %d", err, v.offset)
	}
	if ext := payload[:v.offset-wire.IPv6HeaderLen]; !bytes.Equal(p.IP.ExtHeaders, ext) {
		t.Fatalf("extension headers: ours % x, gVisor's walk % x", p.IP.ExtHeaders, ext)
	}
	checksumOnly := err == nil || errors.Is(err, wire.ErrTCPChecksum)
	return append(used, compareTCP(t, b[v.offset:wire.IPv6HeaderLen+len(payload)], v.offset, p.TCP, err, checksumOnly, p.IP.Src, p.IP.Dst)...)
}

func compareIPv6(t fuzzT, ip header.IPv6, ours wire.IPv6Fields) {
	t.Helper()
	type fixed struct {
		TrafficClass     uint8
		FlowLabel        uint32
		PayloadLength    uint16
		NextHeader, Hops uint8
		Src, Dst         netip.Addr
	}
	tc, flow := ip.TOS()
	gv := fixed{tc, flow, ip.PayloadLength(), ip.NextHeader(), ip.HopLimit(),
		netip.AddrFrom16(ip.SourceAddress().As16()), netip.AddrFrom16(ip.DestinationAddress().As16())}
	our := fixed{ours.TrafficClass, ours.FlowLabel, ours.PayloadLength, ours.NextHeader, ours.HopLimit, ours.Src, ours.Dst}
	if gv != our {
		t.Fatalf("IPv6 fields:\ngVisor %+v\nours   %+v", gv, our)
	}
}

// gvVerdict is what a host must make of an IPv6 extension header chain,
// read by gVisor: the fault (a wire sentinel) with its offset and value,
// or, with no fault, the offset of the TCP header.
type gvVerdict struct {
	fault         error
	offset, value int
	stopped       bool     // gVisor could read no further (an exception)
	used          []string // exceptions relied on
}

// gvWalk6 walks the chain of payload, whose first header is first, with
// gVisor's IPv6PayloadIterator and options iterator, and applies the host
// rules of RFC 8200 section 4 to what they return. Offsets count from the
// start of the packet. The walk keeps its own count of each header's
// length, checked against the bytes gVisor leaves for the upper layer:
// gVisor's HeaderOffset is computed in 8 bits and wraps for a header of 256
// bytes or more.
func gvWalk6(first uint8, payload []byte) (v gvVerdict) {
	it := header.MakeIPv6PayloadIterator(header.IPv6ExtensionHeaderIdentifier(first), buffer.MakeWithData(payload))
	defer it.Release()
	off, nhOff := wire.IPv6HeaderLen, 6 // the header being read, and the Next Header field naming it
	at := func(i int) int { return i - wire.IPv6HeaderLen }
	for {
		id := it.NextHeaderIdentifier()
		switch {
		case id == header.IPv6HopByHopOptionsExtHdrIdentifier && off != wire.IPv6HeaderLen:
			return gvVerdict{fault: wire.ErrUnknownNextHeader, offset: nhOff, value: int(id)}
		case id == header.IPv6ExperimentExtHdrIdentifier:
			v.used = append(v.used, excExperimentHeader)
			v.fault, v.offset, v.value = wire.ErrUnknownNextHeader, nhOff, int(id)
			if h, _, err := it.Next(); err == nil {
				if _, ok := h.(header.IPv6ExperimentExtHdr); !ok {
					v.fault = errors.New("gVisor did not read 253 as an experiment header")
				}
			}
			return v
		}
		h, done, err := it.Next()
		switch {
		case err != nil:
			return gvVerdict{fault: wire.ErrTruncated, offset: off}
		case done:
			return gvVerdict{fault: wire.ErrNotTCP, offset: nhOff, value: int(header.IPv6NoNextHeaderIdentifier)}
		}
		size := 0
		if len(payload) > at(off)+1 {
			size = (int(payload[at(off)+1]) + 1) * 8
		}
		switch h := h.(type) {
		case header.IPv6RawPayloadHeader:
			defer h.Release()
			if rest := int(h.Buf.Size()); wire.IPv6HeaderLen+len(payload)-rest != off {
				return gvVerdict{fault: errors.New("the walk's count of header lengths and gVisor's disagree"), offset: off}
			}
			switch h.Identifier {
			case header.IPv6ExtensionHeaderIdentifier(header.TCPProtocolNumber):
				return gvVerdict{offset: off}
			case header.IPv6ExtensionHeaderIdentifier(header.UDPProtocolNumber), header.IPv6ExtensionHeaderIdentifier(header.ICMPv6ProtocolNumber):
				return gvVerdict{fault: wire.ErrNotTCP, offset: nhOff, value: int(h.Identifier)}
			}
			return gvVerdict{fault: wire.ErrUnknownNextHeader, offset: nhOff, value: int(h.Identifier)}
		case header.IPv6HopByHopOptionsExtHdr:
			v = gvOptions(h.Iter(), off)
		case header.IPv6DestinationOptionsExtHdr:
			v = gvOptions(h.Iter(), off)
		case header.IPv6RoutingExtHdr:
			if h.SegmentsLeft() != 0 {
				v = gvVerdict{fault: wire.ErrRoutingHeader, offset: off + 2, value: int(h.Buf.AsSlice()[0])}
			}
		case header.IPv6FragmentExtHdr:
			size = header.IPv6FragmentExtHdrLength
			if !h.IsAtomic() {
				v = gvVerdict{fault: wire.ErrFragment, offset: off + 2, value: int(h[0])<<8 | int(h[1])}
			}
		}
		h.Release()
		if v.fault != nil || v.stopped {
			return v
		}
		nhOff, off = off, off+size
	}
}

// gvOptions applies RFC 8200 section 4.2 to the options gVisor's iterator
// reads from the header at off.
func gvOptions(it header.IPv6OptionsExtHdrOptionsIterator, off int) gvVerdict {
	for {
		o, done, err := it.Next()
		switch {
		case errors.Is(err, header.ErrMalformedIPv6ExtHdrOption):
			return gvVerdict{stopped: true, used: []string{excRouterAlertLength}}
		case err != nil:
			return gvVerdict{fault: wire.ErrTruncated, offset: off}
		case done:
			return gvVerdict{}
		}
		if u, ok := o.(*header.IPv6UnknownExtHdrOption); ok && u.UnknownAction() != header.IPv6OptionUnknownActionSkip {
			u.Data.Release()
			return gvVerdict{fault: wire.ErrUnknownOption, offset: off + 2 + int(it.OptionOffset()), value: int(u.Identifier)}
		}
	}
}
