package exec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
)

// What a stack did wrong, for errors.Is on an *Error.
var (
	// ErrExited: the stack exited, or closed its standard output, in the
	// middle of a run.
	ErrExited = errors.New("exited")
	// ErrTimeout: the stack did not answer a request in time.
	ErrTimeout = errors.New("did not answer in time")
	// ErrProtocol: the stack sent something the protocol does not allow.
	ErrProtocol = errors.New("broke the peer protocol")
)

// Error is how a stack in another process ended a run: what it did, while
// answering which request, at what virtual time, and the end of its
// standard error.
type Error struct {
	// Stack is the command line that started it.
	Stack string
	Side  harness.Side
	// Request is the request it was answering (0 if none); At the
	// virtual time.
	Request peerproto.Type
	At      time.Duration
	// Kind is ErrExited, ErrTimeout, ErrProtocol, or (when the stack
	// cannot do what the run asked) an error wrapping
	// harness.ErrUnsupported.
	Kind error
	// Detail says what exactly happened.
	Detail string
	// Stderr is the last lines of the stack's standard error, indented.
	Stderr string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "exec peer %q (%s): %s", e.Stack, e.Side, e.Detail)
	if e.Request != 0 {
		fmt.Fprintf(&b, " while answering %s", e.Request)
	}
	fmt.Fprintf(&b, " at %v of virtual time", e.At)
	if e.Stderr != "" {
		fmt.Fprintf(&b, "\n  the end of its standard error:\n%s", e.Stderr)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Kind }

// unsupported is a run that asks a stack for what it cannot do: the cell
// is skipped, with why.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", harness.ErrUnsupported, fmt.Sprintf(format, args...))
}
