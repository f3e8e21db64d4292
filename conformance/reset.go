package conformance

import (
	"errors"
	"net/netip"
	"syscall"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// Resets: injecting one, and what an end in CLOSE-WAIT must make of one.

// injectRST hands the client a RST from the server's address and port with
// sequence number seq, as an attacker off the path could.
func (e *Env) InjectRST(c harness.Conn, seq seqnum.Value) {
	id := c.ID()
	e.InjectTo(e.Side(c), netip.Addr{}, packet.Segment{
		SrcPort: id.RemotePort, DstPort: id.LocalPort, Seq: seq, Flags: RST, Window: 0,
	})
}

// expectResetInCloseWait checks what the application at c's end, reset
// in CLOSE-WAIT, is told. It has read the FIN already, so Read has nothing
// new to say (RFC 9293 3.10.3: RECEIVE after the FIN gets "connection
// closing"); Write is the call that learns of the reset.
func (e *Env) ExpectResetInCloseWait(c harness.Conn) {
	side := e.Side(c)
	_, err := c.Write([]byte("x"))
	if errors.Is(err, syscall.EPIPE) && e.PeerKind(side) == GVisor {
		e.Deviates(GVisorCloseWaitRSTIsEPIPE)
		e.Observe("gVisor deviation accepted: %s", GVisorCloseWaitRSTIsEPIPE.Name)
		return
	}
	if errors.Is(err, syscall.EPIPE) && e.PeerKind(side) == Linux {
		e.Deviates(LinuxCloseWaitRSTIsEPIPE)
		return
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		e.Fatalf(side.String()+" Write to return connection reset (ECONNRESET)", "Write returned %v", err)
	}
}
