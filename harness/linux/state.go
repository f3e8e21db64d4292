package linux

import (
	"fmt"

	"github.com/tcpbed/tcpbed/harness"
)

// Linux's TCP states (include/net/tcp_states.h), as TCP_INFO's tcpi_state
// and sock_diag's idiag_state report them.
const (
	linuxEstablished uint8 = 1
	linuxSynSent     uint8 = 2
	linuxSynRecv     uint8 = 3
	linuxFinWait1    uint8 = 4
	linuxFinWait2    uint8 = 5
	linuxTimeWait    uint8 = 6
	linuxClose       uint8 = 7
	linuxCloseWait   uint8 = 8
	linuxLastAck     uint8 = 9
	linuxListen      uint8 = 10
	linuxClosing     uint8 = 11
	// linuxNewSynRecv is a request socket: a SYN answered with a SYN-ACK,
	// held in the listener's SYN queue rather than as a full socket. It is
	// RFC 9293's SYN-RECEIVED (sock_diag reports it as SYN_RECV anyway).
	linuxNewSynRecv uint8 = 12
	// linuxBoundInactive is a socket bound but neither listening nor
	// connected (Linux 6.6+): RFC 9293 has no such state; it is CLOSED.
	linuxBoundInactive uint8 = 13
)

// stateFromLinux maps a Linux TCP state onto RFC 9293's. Linux's TCP_CLOSE
// covers both a socket never connected and one whose connection ended; both
// are CLOSED.
func stateFromLinux(s uint8) (harness.State, error) {
	switch s {
	case linuxEstablished:
		return harness.Established, nil
	case linuxSynSent:
		return harness.SynSent, nil
	case linuxSynRecv, linuxNewSynRecv:
		return harness.SynReceived, nil
	case linuxFinWait1:
		return harness.FinWait1, nil
	case linuxFinWait2:
		return harness.FinWait2, nil
	case linuxTimeWait:
		return harness.TimeWait, nil
	case linuxClose, linuxBoundInactive:
		return harness.Closed, nil
	case linuxCloseWait:
		return harness.CloseWait, nil
	case linuxLastAck:
		return harness.LastAck, nil
	case linuxListen:
		return harness.Listen, nil
	case linuxClosing:
		return harness.Closing, nil
	}
	return harness.Closed, fmt.Errorf("unknown Linux TCP state %d", s)
}
