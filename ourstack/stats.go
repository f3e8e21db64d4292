package ourstack

import (
	"reflect"

	"github.com/tcpbed/tcpbed/ourstack/ipfrag"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// StackStats are the stack-wide counters.
type StackStats struct {
	PacketsReceived, PacketsSent uint64
	MalformedPackets             uint64 // any parse error
	BadChecksums                 uint64 // of those, checksum failures (IPv4 header or TCP)
	NotForUs                     uint64 // well formed, but to another address, or from one no reply may go to or no wire may carry (RFC 1122 3.2.1.3)
	ResetsSent                   uint64
	SYNCookiesSent               uint64
	SYNCookiesAccepted           uint64
	SYNCookiesRejected           uint64       // ACKs to a listener in cookie mode that carried no valid cookie
	ListenOverflows              uint64       // SYNs and handshake-completing ACKs dropped: accept queue full
	EncodeErrors                 uint64       // segments the TCB produced that the codec refused (a bug)
	Reassembly                   ipfrag.Stats // IPv4 fragments put back together (RFC 791 3.2)
	ICMPErrors                   uint64       // ICMP errors about a connection of ours, handed to it
	ICMPDropped                  uint64       // other ICMP: malformed, not an error, about no connection of ours
	ParamProblemsSent            uint64       // ICMPv6 Parameter Problems sent (RFC 8200 4)
	tcp.Stats                                 // summed over connections, live and gone
}

// Stats returns the stack-wide counters.
func (s *Stack) Stats() StackStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Reassembly = s.frags.Stats()
	for _, c := range s.conns {
		addTCPStats(&st.Stats, c.tcb.Stats())
	}
	return st
}

// addTCPStats adds every counter of b to a. It walks the fields so that a
// counter the TCB gains later is summed without a change here.
func addTCPStats(a *tcp.Stats, b tcp.Stats) {
	av, bv := reflect.ValueOf(a).Elem(), reflect.ValueOf(b)
	for i := range av.NumField() {
		if f := av.Field(i); f.Kind() == reflect.Uint64 && f.CanSet() {
			f.SetUint(f.Uint() + bv.Field(i).Uint())
		}
	}
}
