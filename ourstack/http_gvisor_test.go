package ourstack

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	gtcp "gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// net/http across the two stacks, each end on its own real-time stack:
// gVisor's gonet client against an ourstack server, and ourstack's client
// against a gonet server. (A test file may import gVisor; ourstack may not.)
func TestHTTPOurstackAndGVisor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on real time")
	}
	t.Run("gvisor client, ours server", func(t *testing.T) {
		ours, gv := realTimePair(t)
		l, err := ours.Listen(80, 0)
		if err != nil {
			t.Fatal(err)
		}
		exerciseHTTP(t, l, func(ctx context.Context, _, addr string) (net.Conn, error) {
			return gonet.DialContextTCP(ctx, gv, fullAddr(t, addr), ipv4.ProtocolNumber)
		}, oursIP)
	})
	t.Run("ours client, gvisor server", func(t *testing.T) {
		ours, gv := realTimePair(t)
		l, err := gonet.ListenTCP(gv, tcpip.FullAddress{NIC: 1, Port: 80}, ipv4.ProtocolNumber)
		if err != nil {
			t.Fatal(err)
		}
		exerciseHTTP(t, l, func(ctx context.Context, network, addr string) (net.Conn, error) {
			return ours.Dial(ctx, network, addr)
		}, gvisorIP)
	})
}

// The two stacks' addresses in realTimePair.
var oursIP, gvisorIP = serverIP, clientIP

// realTimePair is an ourstack Stack at oursIP and a gVisor stack at
// gvisorIP on the real clock, joined by two goroutines that carry packets.
func realTimePair(t *testing.T) (*Stack, *stack.Stack) {
	t.Helper()
	gv := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{gtcp.NewProtocol},
	})
	ep := channel.New(4096, 1500, "")
	if err := gv.CreateNIC(1, ep); err != nil {
		t.Fatal(err)
	}
	addr := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddrFrom4(netip.MustParseAddr(gvisorIP).As4()).WithPrefix()}
	if err := gv.AddProtocolAddress(1, addr, stack.AddressProperties{}); err != nil {
		t.Fatal(err)
	}
	gv.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: 1}})

	ctx, cancel := context.WithCancel(context.Background())
	toGVisor := make(chan []byte, 4096)
	ours, err := New(Options{
		Addr: netip.MustParseAddr(oursIP),
		// Send runs under ourstack's lock: queue, never call gVisor here.
		Send: func(pkt []byte) {
			select {
			case toGVisor <- append([]byte(nil), pkt...):
			default: // a full queue drops, as a link would
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case <-ctx.Done():
				return
			case pkt := <-toGVisor:
				pb := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(pkt)})
				ep.InjectInbound(ipv4.ProtocolNumber, pb)
				pb.DecRef()
			}
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			pb := ep.ReadContext(ctx)
			if pb == nil {
				return
			}
			view := pb.ToView()
			ours.DeliverPacket(view.AsSlice())
			view.Release()
			pb.DecRef()
		}
	}()
	t.Cleanup(func() {
		ours.Close()
		cancel()
		<-done
		<-done
		gv.Close()
		gv.Wait()
	})
	return ours, gv
}

// fullAddr turns "host:port" into gonet's address on NIC 1.
func fullAddr(t *testing.T, hostport string) tcpip.FullAddress {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		t.Fatalf("address %q: %v", hostport, err)
	}
	return tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4(ap.Addr().As4()), Port: ap.Port()}
}
