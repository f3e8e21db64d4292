package bench

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// The anchors are what a user would pick instead of ourstack, measured on
// the same workloads in the same run, so that every figure can be read
// against them as well as against gvisor<->gvisor inside the harness:
//
//   - GVisorRaw ("gvisor-raw"): two gVisor stacks as gVisor's own users run
//     them, outside the harness: each on its own link/channel endpoint, one
//     goroutine per direction pumping packets from one endpoint into the
//     other, gVisor's real clock, gonet for the listener and the dial. No
//     tcpbed code is in the path, so gvisor<->gvisor inside the harness over
//     this is the harness's own cost.
//   - LinuxLoopback ("linux-loopback", anchor_linux.go): the kernel's TCP on
//     127.0.0.1, in-process net.Listen and net.Dial.
const (
	GVisorRaw     = "gvisor-raw"
	LinuxLoopback = "linux-loopback"
)

// Anchors are the anchor columns, in the order the report shows them.
var Anchors = []string{GVisorRaw, LinuxLoopback}

// rawQueue is how many packets each channel endpoint queues outbound. The
// channel drops what does not fit (gVisor then retransmits), so it holds
// more than a send buffer's worth of segments at MTU 1500.
const rawQueue = 8192

// RawGVisorNet is two gVisor stacks joined by two channel endpoints and a
// pump goroutine per direction: gVisor on its own, the first anchor. The
// client is 10.0.0.1 and the server 10.0.0.2, as in the harness.
type RawGVisorNet struct {
	Client, Server *stack.Stack
	links          [2]*channel.Endpoint
	cancel         context.CancelFunc
	pumps          sync.WaitGroup
}

var (
	rawClientAddr = tcpip.AddrFrom4([4]byte{10, 0, 0, 1})
	rawServerAddr = tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
)

// NewRawGVisorNet builds the two stacks at mtu. A non-zero msl sets gVisor's
// TIME-WAIT to 2*msl, as StackOptions.MSL does inside the harness.
func NewRawGVisorNet(mtu int, msl time.Duration) (*RawGVisorNet, error) {
	n := &RawGVisorNet{}
	var stacks [2]*stack.Stack
	for i, addr := range []tcpip.Address{rawClientAddr, rawServerAddr} {
		s := stack.New(stack.Options{
			NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
			TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
		})
		stacks[i] = s
		n.links[i] = channel.New(rawQueue, uint32(mtu), "")
		if err := s.CreateNIC(1, n.links[i]); err != nil {
			n.closeStacks(stacks)
			return nil, fmt.Errorf("gvisor-raw: CreateNIC: %s", err)
		}
		pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: addr.WithPrefix()}
		if err := s.AddProtocolAddress(1, pa, stack.AddressProperties{}); err != nil {
			n.closeStacks(stacks)
			return nil, fmt.Errorf("gvisor-raw: AddProtocolAddress: %s", err)
		}
		s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: 1}})
		if msl != 0 {
			tw := tcpip.TCPTimeWaitTimeoutOption(2 * msl)
			if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &tw); err != nil {
				n.closeStacks(stacks)
				return nil, fmt.Errorf("gvisor-raw: TIME-WAIT: %s", err)
			}
		}
	}
	n.Client, n.Server = stacks[0], stacks[1]
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.pumps.Add(2)
	go n.pump(ctx, n.links[0], n.links[1])
	go n.pump(ctx, n.links[1], n.links[0])
	return n, nil
}

// pump moves every packet from's stack sends into to's stack until ctx is
// done. gVisor's own tests join two stacks the same way.
func (n *RawGVisorNet) pump(ctx context.Context, from, to *channel.Endpoint) {
	defer n.pumps.Done()
	for {
		pkt := from.ReadContext(ctx)
		if pkt == nil {
			return
		}
		in := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: pkt.ToBuffer()})
		pkt.DecRef()
		to.InjectInbound(ipv4.ProtocolNumber, in)
		in.DecRef()
	}
}

func (n *RawGVisorNet) closeStacks(stacks [2]*stack.Stack) {
	for i, s := range stacks {
		if s == nil {
			continue
		}
		s.Close()
		s.Wait()
		if n.links[i] != nil {
			n.links[i].Close()
		}
	}
}

// Close stops the pumps, then closes both stacks (and every endpoint on
// them) and waits for their goroutines to end.
func (n *RawGVisorNet) Close() {
	n.cancel()
	n.pumps.Wait()
	n.closeStacks([2]*stack.Stack{n.Client, n.Server})
}

// SegmentsSent is how many TCP segments the client and the server have
// sent, by gVisor's own count.
func (n *RawGVisorNet) SegmentsSent() [2]uint64 {
	return [2]uint64{n.Client.Stats().TCP.SegmentsSent.Value(), n.Server.Stats().TCP.SegmentsSent.Value()}
}

// Listen opens a gonet listener on the server.
func (n *RawGVisorNet) Listen() (net.Listener, error) {
	return gonet.ListenTCP(n.Server, tcpip.FullAddress{NIC: 1, Addr: rawServerAddr, Port: benchPort}, ipv4.ProtocolNumber)
}

// Dial opens a connection from the client to the server's listener.
func (n *RawGVisorNet) Dial() (net.Conn, error) {
	return gonet.DialTCP(n.Client, tcpip.FullAddress{NIC: 1, Addr: rawServerAddr, Port: benchPort}, ipv4.ProtocolNumber)
}
