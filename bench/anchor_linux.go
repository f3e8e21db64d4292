package bench

import (
	"fmt"
	"net"
)

// LinuxLoopbackMTU is the loopback interface's MTU on Linux: 65536, not the
// 65535 of the in-harness MTU-65535 figure, and the kernel's TCP on it also
// skips checksums and coalesces segments (GSO/GRO), so this anchor is the
// kernel at its best, not a like-for-like wire.
//
// There is no MTU-1500 loopback figure: the loopback's MTU is the
// machine's, changing it needs root and changes it for every process, and
// capping the MSS alone (TCP_MAXSEG) leaves GSO sending 64 KiB units
// through the stack, so it would not measure what MTU 1500 costs. The
// report shows that cell as n/a.
const LinuxLoopbackMTU = 65536

// LinuxLoopbackNet is a listener on 127.0.0.1 for the second anchor: the
// kernel's TCP, reached with net.Listen and net.Dial in this process. It
// fails when the machine has no usable loopback; the benchmarks then skip.
type LinuxLoopbackNet struct {
	L net.Listener
}

// NewLinuxLoopbackNet listens on 127.0.0.1 on a port the kernel picks.
func NewLinuxLoopbackNet() (*LinuxLoopbackNet, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("linux-loopback: %w", err)
	}
	return &LinuxLoopbackNet{L: l}, nil
}

// Dial connects to the listener.
func (n *LinuxLoopbackNet) Dial() (net.Conn, error) {
	return net.Dial("tcp4", n.L.Addr().String())
}

// Close closes the listener.
func (n *LinuxLoopbackNet) Close() error { return n.L.Close() }
