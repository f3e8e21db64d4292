package serve

import (
	"errors"
	"fmt"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
	"strconv"
	"strings"
	"time"
)

// Fault breaks the protocol on purpose, to test how tcpbed takes a stack
// that does (as x/net/http2's AllowIllegalWrites lets a test write what
// the protocol forbids). The server answers After requests (HELLO among
// them) as it should, and then does what Kind says.
type Fault struct {
	Kind  FaultKind
	After int
}

// FaultKind is what a faulty server does.
type FaultKind int

const (
	NoFault FaultKind = iota
	// Crash: Serve returns ErrCrash instead of answering (the command
	// then exits with a status other than 0).
	Crash
	// Hang: Serve stops answering, for good, and sleeps.
	Hang
	// Garbage: bytes that are no frame in place of a reply.
	Garbage
	// MalformedPacket: every packet sent from then on is cut short (its
	// IPv4 total length says more than the packet holds).
	MalformedPacket
	// WrongReply: each reply is typed as the reply to another request.
	WrongReply
	// Text: a line of text on standard output before anything else, as a
	// program that logs to standard output prints (After does not apply).
	Text
	// Unsolicited: a PACKET_OUT right after a reply, with no request
	// outstanding.
	Unsolicited
	// PastUntil: an ADVANCE with until answered as having reached an
	// instant past until (its timers run as ever).
	PastUntil
	// StrayTaking: a TAKING before each reply, whatever the request.
	StrayTaking
)

var faultNames = map[string]FaultKind{
	"crash": Crash, "hang": Hang, "garbage": Garbage, "malformed-packet": MalformedPacket,
	"wrong-reply": WrongReply, "text": Text, "unsolicited": Unsolicited, "past-until": PastUntil,
	"stray-taking": StrayTaking,
}

// FaultNames lists the kinds ParseFault knows.
func FaultNames() []string {
	return []string{"crash", "hang", "garbage", "malformed-packet", "wrong-reply", "text", "unsolicited", "past-until", "stray-taking"}
}

// ParseFault reads "KIND" or "KIND@N" (N: requests answered first, 0 if
// not given): "crash@5", "text".
func ParseFault(s string) (Fault, error) {
	name, after, hasAfter := strings.Cut(s, "@")
	kind, known := faultNames[name]
	if !known {
		return Fault{}, fmt.Errorf("unknown fault %q (known: %s)", name, strings.Join(FaultNames(), ", "))
	}
	f := Fault{Kind: kind}
	if hasAfter {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			return Fault{}, fmt.Errorf("fault %q: %q is no count of requests", s, after)
		}
		f.After = n
	}
	return f, nil
}

// ErrCrash is what Serve returns to crash on purpose.
var ErrCrash = errors.New("crashing on purpose (a fault asked for)")

// due reports whether the fault is due at this request.
func (s *server) due(kind FaultKind) bool {
	return s.opts.Fault.Kind == kind && s.served >= s.opts.Fault.After
}

// misbehave does, before a request is handled, what a due fault says.
func (s *server) misbehave() error {
	switch {
	case s.due(Crash):
		return ErrCrash
	case s.due(Hang):
		for {
			time.Sleep(time.Hour)
		}
	}
	return nil
}

// tamper spoils, as a due fault says, the reply that starts at replyAt in
// the frames about to be written.
func (s *server) tamper(replyAt int) {
	b := s.out.Bytes()
	switch {
	case s.due(Garbage):
		copy(b[replyAt:], "\xff\xff\xff\xffgarbage")
	case s.due(WrongReply):
		b[replyAt+4] ^= 0x0F // another request's reply
	case s.due(Unsolicited):
		s.out.Begin(peerproto.PacketOut).Raw(strayPacket).End()
	}
}

// strayPacket is a whole IPv4 packet, 20 bytes of header and nothing
// else, for the Unsolicited fault.
var strayPacket = []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
