// Package peerproto is tcpbed's peer protocol (docs/peer-protocol.md) in
// Go: its constants, and frames read and written as views over bytes. Both
// sides use it: harness/exec, tcpbed's side, and harness/exec/serve, the
// reference stack side. The document is the specification; this package
// names what it defines, section by section.
package peerproto

import (
	"fmt"
	"net/netip"
)

// The protocol versions this package speaks (section 10). They differ in
// one thing: the width of an addr field, and so the family of the packets.
// tcpbed asks for Version1 in an IPv4 run and Version2 in an IPv6 one.
const (
	// Version1: addresses are IPv4 (4 bytes), packets IPv4.
	Version1 = 1
	// Version2: addresses are IPv6 (16 bytes), packets IPv6.
	Version2 = 2
	// Version is the newest.
	Version = Version2
)

// VersionFor is the version a run with the stack at addr speaks.
func VersionFor(addr netip.Addr) uint16 {
	if addr.Is6() {
		return Version2
	}
	return Version1
}

// addrLen is the width of an addr field in version v (a version this
// package does not speak reads as version 1, whose HELLO says which it is).
func addrLen(v uint16) int {
	if v == Version2 {
		return 16
	}
	return 4
}

// Magic opens HELLO and its reply.
const Magic = "TCPB"

// MaxFrame is the largest length field a frame may have (section 2).
const MaxFrame = 1 << 20

// MaxData is the most data tcpbed puts in one WRITE or asks for in one
// READ (section 4).
const MaxData = 1 << 16

// Never is the time that never comes: a next_timer with no timer armed.
const Never = ^uint64(0)

// Type is a frame's type (section 2).
type Type uint8

// Requests, tcpbed to stack (section 4).
const (
	Hello    Type = 0x01
	SetOpt   Type = 0x02
	Packet   Type = 0x03
	Advance  Type = 0x04
	Listen   Type = 0x05
	Dial     Type = 0x06
	Accept   Type = 0x07
	Write    Type = 0x08
	Read     Type = 0x09
	Shutdown Type = 0x0A
	Close    Type = 0x0B
	Abort    Type = 0x0C
	State    Type = 0x0D
	Counters Type = 0x0E
	Packets  Type = 0x0F
)

// Events, stack to tcpbed, only while a request is outstanding.
const (
	PacketOut   Type = 0x40
	StateChange Type = 0x41
	Taking      Type = 0x42
)

// replyBit turns a request's type into its reply's.
const replyBit = 0x80

// Reply is the type of the reply to request t.
func (t Type) Reply() Type { return t | replyBit }

// IsRequest, IsEvent and IsReply tell the three ranges apart.
func (t Type) IsRequest() bool { return t >= 0x01 && t <= 0x3F }
func (t Type) IsEvent() bool   { return t >= 0x40 && t <= 0x7F }
func (t Type) IsReply() bool   { return t >= 0x80 && t <= 0xBF }

// Request is the request a reply answers.
func (t Type) Request() Type { return t &^ replyBit }

var typeNames = map[Type]string{
	Hello: "HELLO", SetOpt: "SETOPT", Packet: "PACKET", Advance: "ADVANCE",
	Listen: "LISTEN", Dial: "DIAL", Accept: "ACCEPT", Write: "WRITE", Read: "READ",
	Shutdown: "SHUTDOWN", Close: "CLOSE", Abort: "ABORT", State: "STATE", Counters: "COUNTERS",
	Packets: "PACKETS", PacketOut: "PACKET_OUT", StateChange: "STATE_CHANGE", Taking: "TAKING",
}

// String names the type as the document does; a reply is "HELLO reply".
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	if t.IsReply() {
		if n, ok := typeNames[t.Request()]; ok {
			return n + " reply"
		}
	}
	return fmt.Sprintf("type 0x%02x", uint8(t))
}

// Known reports whether t is a request, event or reply this version
// defines.
func (t Type) Known() bool {
	_, ok := typeNames[t]
	if t.IsReply() {
		_, ok = typeNames[t.Request()]
		ok = ok && t.Request().IsRequest()
	}
	return ok
}

// Status is a reply's status (section 4).
type Status uint8

const (
	OK           Status = 0
	WouldBlock   Status = 1
	EOF          Status = 2
	Unsupported  Status = 3
	ECONNRESET   Status = 16
	ECONNREFUSED Status = 17
	ETIMEDOUT    Status = 18
	ECONNABORTED Status = 19
	EPIPE        Status = 20
	ENOTCONN     Status = 21
	EADDRINUSE   Status = 22
	EINVAL       Status = 23
	EBADF        Status = 24
	ENOBUFS      Status = 25
	Other        Status = 31
)

var statusNames = map[Status]string{
	OK: "OK", WouldBlock: "WOULD_BLOCK", EOF: "EOF", Unsupported: "UNSUPPORTED",
	ECONNRESET: "ECONNRESET", ECONNREFUSED: "ECONNREFUSED", ETIMEDOUT: "ETIMEDOUT",
	ECONNABORTED: "ECONNABORTED", EPIPE: "EPIPE", ENOTCONN: "ENOTCONN",
	EADDRINUSE: "EADDRINUSE", EINVAL: "EINVAL", EBADF: "EBADF", ENOBUFS: "ENOBUFS", Other: "OTHER",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status %d", uint8(s))
}

// Known reports whether this version defines s.
func (s Status) Known() bool { _, ok := statusNames[s]; return ok }

// Caps are the capabilities a stack's HELLO reply announces.
type Caps uint32

const (
	CapStates   Caps = 1 << 0
	CapCounters Caps = 1 << 1
	CapRealTime Caps = 1 << 2
	// CapAdvanceUntil: ADVANCE carries until and its reply reached
	// (section 6): the stack runs its timers ahead, to the first
	// instant it does something, in one request. A stack on real time
	// offers it in vain: tcpbed sends it ADVANCE without until.
	CapAdvanceUntil Caps = 1 << 3
	// CapBursts: the stack takes the packets of a burst in one PACKETS
	// request, saying TAKING as it begins on each after the first
	// (section 4).
	CapBursts Caps = 1 << 4
)

// MaxBurst is the most packets one PACKETS request carries.
const MaxBurst = 64

// HelloFlags are HELLO's flags.
type HelloFlags uint8

// FrozenClock asks for every clock reading at one instant to be that
// instant (section 6).
const FrozenClock HelloFlags = 1 << 0

// Side is HELLO's side: which end of the run the stack is.
const (
	SideClient uint8 = 0
	SideServer uint8 = 1
)

// Option is an option code (section 5).
type Option uint16

// Stack-wide options, in HELLO.
const (
	OptSACK        Option = 1
	OptNagle       Option = 2
	OptMaxRTO      Option = 3
	OptSynRetries  Option = 4
	OptDataRetries Option = 5
	OptMSL         Option = 6
	OptCongestion  Option = 7
	OptWindowScale Option = 8
	OptTimestamps  Option = 9
	OptRecvBuffer  Option = 10
	OptSendBuffer  Option = 11
)

// Socket options, in SETOPT.
const (
	OptKeepAlive Option = 16
	OptKeepIdle  Option = 17
	OptKeepIntvl Option = 18
	OptKeepCnt   Option = 19
	OptNoDelay   Option = 20
	OptLinger    Option = 21
)

// CONGESTION's values.
const (
	CongestionNewReno = 1
	CongestionCubic   = 2
)

var optionNames = map[Option]string{
	OptSACK: "SACK", OptNagle: "NAGLE", OptMaxRTO: "MAX_RTO", OptSynRetries: "SYN_RETRIES",
	OptDataRetries: "DATA_RETRIES", OptMSL: "MSL", OptCongestion: "CONGESTION",
	OptWindowScale: "WINDOW_SCALE", OptTimestamps: "TIMESTAMPS", OptRecvBuffer: "RECV_BUFFER",
	OptSendBuffer: "SEND_BUFFER", OptKeepAlive: "KEEPALIVE", OptKeepIdle: "KEEPIDLE",
	OptKeepIntvl: "KEEPINTVL", OptKeepCnt: "KEEPCNT", OptNoDelay: "NODELAY", OptLinger: "LINGER",
}

func (o Option) String() string {
	if n, ok := optionNames[o]; ok {
		return n
	}
	return fmt.Sprintf("option %d", uint16(o))
}

// durationOptions hold nanoseconds.
var durationOptions = map[Option]bool{
	OptMaxRTO: true, OptMSL: true, OptKeepIdle: true, OptKeepIntvl: true, OptLinger: true,
}

// OptionValue is one option and its value.
type OptionValue struct {
	Option Option
	Value  uint64
}

// String shows the value in the option's unit ("MSL=30s", "SACK=0").
func (v OptionValue) String() string {
	switch {
	case durationOptions[v.Option] && v.Value == Never:
		return v.Option.String() + "=never"
	case durationOptions[v.Option]:
		return fmt.Sprintf("%s=%s", v.Option, durationString(v.Value))
	case v.Option == OptCongestion && v.Value == CongestionNewReno:
		return "CONGESTION=newreno"
	case v.Option == OptCongestion && v.Value == CongestionCubic:
		return "CONGESTION=cubic"
	}
	return fmt.Sprintf("%s=%d", v.Option, v.Value)
}

// StateCodes: section 7's codes run CLOSED (0) to TIME-WAIT (10), in the
// order of harness.State.
const MaxState = 10
