package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// Listen opens a gonet listener on the server.
func (n *RawGVisorNet) Listen() (net.Listener, error) {
	return gonet.ListenTCP(n.Server, tcpip.FullAddress{NIC: 1, Addr: rawServerAddr, Port: benchPort}, ipv4.ProtocolNumber)
}

// Dial opens a connection from the client to the server's listener.
func (n *RawGVisorNet) Dial() (net.Conn, error) {
	return gonet.DialTCP(n.Client, tcpip.FullAddress{NIC: 1, Addr: rawServerAddr, Port: benchPort}, ipv4.ProtocolNumber)
}

// Pair is one connection dialled and accepted on a listener.
func Pair(l net.Listener, dial func() (net.Conn, error)) (c, s net.Conn, err error) {
	c, err = dial()
	if err != nil {
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	s, err = l.Accept()
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("accept: %w", err)
	}
	return c, s, nil
}

// StreamBulk is Bulk over a pair of real-time stream connections (an
// anchor's): a goroutine writes size bytes of the pattern on c in 256 KiB
// pieces and closes it, this one reads s in 256 KiB pieces and checks every
// byte. It returns the real and CPU time it took.
func StreamBulk(c, s net.Conn, size int) (Cost, error) {
	m := startMeter()
	werr := make(chan error, 1)
	go func() {
		sent := 0
		for sent < size {
			at := sent % len(pattern)
			k, err := c.Write(pattern[at:min(len(pattern), at+size-sent, at+256<<10)])
			sent += k
			if err != nil {
				werr <- fmt.Errorf("client Write after %d bytes: %w", sent, err)
				return
			}
		}
		werr <- nil
	}()
	buf := make([]byte, 256<<10)
	got := 0
	var bad error
	for got < size && bad == nil {
		k, err := s.Read(buf)
		if k > 0 {
			bad = checkPattern(buf[:k], got)
			got += k
		}
		if err != nil && bad == nil {
			bad = fmt.Errorf("server Read after %d bytes: %w", got, err)
		}
	}
	took := m.Stop()
	if bad != nil {
		c.Close() // unblocks the writer
		<-werr
		return took, bad
	}
	if err := <-werr; err != nil {
		return took, err
	}
	return took, nil
}

// StreamConnRate is ConnRate over an anchor: count connections one after
// another, each dialled, accepted, one byte each way, closed by the client,
// its end read by the server, then closed by the server. Unlike ConnRate it
// cannot wait for both ends to reach CLOSED or TIME-WAIT (neither net.Conn
// shows its state); the server's close is the last step timed.
func StreamConnRate(l net.Listener, dial func() (net.Conn, error), count int) (Cost, error) {
	one := []byte{'x'}
	buf := make([]byte, 16)
	m := startMeter()
	for i := range count {
		fail := func(what string, err error) (Cost, error) {
			return m.Stop(), fmt.Errorf("connection %d: %s: %w", i, what, err)
		}
		c, s, err := Pair(l, dial)
		if err != nil {
			return fail("open", err)
		}
		if err := streamExchange(c, s, one, buf); err != nil {
			c.Close()
			s.Close()
			return fail("client to server", err)
		}
		if err := streamExchange(s, c, one, buf); err != nil {
			c.Close()
			s.Close()
			return fail("server to client", err)
		}
		if err := c.Close(); err != nil {
			s.Close()
			return fail("client close", err)
		}
		if k, err := s.Read(buf); k != 0 || !errors.Is(err, io.EOF) {
			s.Close()
			return fail("server read", fmt.Errorf("read %d bytes and %v, want the end", k, err))
		}
		if err := s.Close(); err != nil {
			return fail("server close", err)
		}
	}
	return m.Stop(), nil
}

// streamExchange writes msg on from and reads it on to.
func streamExchange(from, to net.Conn, msg, buf []byte) error {
	if k, err := from.Write(msg); err != nil || k != len(msg) {
		return fmt.Errorf("write took %d of %d bytes: %v", k, len(msg), err)
	}
	_, err := io.ReadFull(to, buf[:len(msg)])
	return err
}
