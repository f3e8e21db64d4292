package linux

import (
	"errors"
	"fmt"
)

// ErrUnavailable is returned (wrapped, with the reason) when this process
// cannot make a Linux peer: not root, no CAP_NET_ADMIN, no /dev/net/tun, a
// kernel without network namespaces. Suites test errors.Is(err,
// ErrUnavailable) and report the linux cells as skipped with err's text.
var ErrUnavailable = errors.New("linux peer unavailable")

// unavailable wraps a setup failure so that it is both ErrUnavailable and,
// through errors.Is, the errno that caused it.
func unavailable(step string, err error) error {
	return &UnavailableError{Step: step, Err: err}
}

// UnavailableError names the setup step that failed and why.
type UnavailableError struct {
	Step string // "unshare(CLONE_NEWNET)", "open /dev/net/tun", ...
	Err  error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%v: %s: %v", ErrUnavailable, e.Step, e.Err)
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

func (e *UnavailableError) Unwrap() error { return e.Err }

// ErrClosed is returned by calls on a Host after Close.
var ErrClosed = errors.New("linux peer closed")
