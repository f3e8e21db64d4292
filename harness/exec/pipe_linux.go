package exec

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeBytes is how many bytes wait in the pipe fd (FIONREAD, which Linux
// calls TIOCINQ).
func pipeBytes(fd uintptr) int {
	n, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ)
	if err != nil {
		return 0
	}
	return n
}

// widePipe is the capacity asked of each pipe: one whole frame of the
// largest size (peerproto.MaxFrame and its length field), so that no
// frame waits, half written, for the other side to read the rest. A
// pipe's default is 64 KiB, under one WRITE of 64 KiB of data: every such
// request took two context switches more. Linux grants up to
// /proc/sys/fs/pipe-max-size (1 MiB by default) to anyone.
const widePipe = 1 << 20

// widen asks the kernel for a pipe of widePipe bytes. A refusal leaves
// the default, which is only slower.
func widen(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, widePipe) })
}
