package gvisor

import (
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// gvisorLink is the gVisor stack's network card. It is a channel.Endpoint
// for everything but the outbound path: instead of queueing packets in a
// bounded Go channel (which drops when full), WritePackets flattens each
// packet into one buffer and hands it straight to the wire. No transmit
// checksum offload is advertised, so gVisor computes real checksums; it
// verifies every packet but those the wire vouches for (Capabilities).
type gvisorLink struct {
	*channel.Endpoint

	mu sync.Mutex // gVisor writes from its processor and from timers
	// scratch is where each outbound packet is flattened; it grows to the
	// longest packet sent (a peer that sends nothing costs nothing).
	scratch  []byte
	transmit func(pkt []byte)
	// transmitWith, when the Net offers it, takes each packet straight
	// into the wire's buffer (fill writes cur there): no scratch copy.
	transmitWith func(size int, fill func([]byte))
	cur          *stack.PacketBuffer
	fill         func([]byte)
	// verified is set while a packet whose checksums the wire verified is
	// injected: the card then offers receive checksum offload, which the
	// NIC reads for that packet alone (nic.DeliverNetworkPacket).
	verified bool
}

var _ stack.LinkEndpoint = (*gvisorLink)(nil)

func newGVisorLink(mtu int, transmit func([]byte), transmitWith func(int, func([]byte))) *gvisorLink {
	l := &gvisorLink{
		Endpoint:     channel.New(0, uint32(mtu), ""),
		transmit:     transmit,
		transmitWith: transmitWith,
	}
	l.fill = l.fillCur
	return l
}

// WritePackets implements stack.LinkEndpoint.
func (l *gvisorLink) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, pkt := range pkts.AsSlice() {
		if l.transmitWith != nil {
			l.cur = pkt
			l.transmitWith(packetSize(pkt), l.fill)
			l.cur = nil
			continue
		}
		l.scratch = appendPacket(l.scratch[:0], pkt)
		l.transmit(l.scratch)
	}
	return pkts.Len(), nil
}

// fillCur writes the packet being sent into the wire's buffer b.
func (l *gvisorLink) fillCur(b []byte) { appendPacket(b[:0], l.cur) }

// packetSize is the length of what appendPacket appends for pkt.
func packetSize(pkt *stack.PacketBuffer) int {
	views, skip := pkt.AsViewList()
	n := -skip
	for v := views.Front(); v != nil; v = v.Next() {
		n += v.Size()
	}
	return n
}

// appendPacket appends the bytes of pkt (from its network header on) to b.
func appendPacket(b []byte, pkt *stack.PacketBuffer) []byte {
	views, skip := pkt.AsViewList()
	for v := views.Front(); v != nil; v = v.Next() {
		s := v.AsSlice()
		if skip >= len(s) {
			skip -= len(s)
			continue
		}
		b = append(b, s[skip:]...)
		skip = 0
	}
	return b
}

// Capabilities implements stack.LinkEndpoint: no offload, but receive
// checksum offload for a packet the wire verified (DeliverLent's verified).
// gVisor still computes every checksum it sends, and verifies every packet
// the wire did not vouch for.
func (l *gvisorLink) Capabilities() stack.LinkEndpointCapabilities {
	c := l.Endpoint.Capabilities()
	if l.verified {
		c |= stack.CapabilityRXChecksumOffload
	}
	return c
}

// ipVersion is pkt's version nibble (0 for an empty packet).
func ipVersion(pkt []byte) uint8 {
	if len(pkt) == 0 {
		return 0
	}
	return pkt[0] >> 4
}

// inject hands the stack one inbound IP packet, held in buf (which it
// takes), as the protocol its version nibble names (the link has no
// EtherType to say); verified says the wire found its checksums right.
func (l *gvisorLink) inject(version uint8, buf buffer.Buffer, verified bool) {
	l.verified = verified
	defer func() { l.verified = false }()
	proto := ipv4.ProtocolNumber
	if version == 6 {
		proto = ipv6.ProtocolNumber
	}
	pb := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buf})
	l.InjectInbound(proto, pb)
	pb.DecRef()
}
