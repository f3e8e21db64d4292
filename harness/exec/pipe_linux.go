package exec

import (
	"os"
	osexec "os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// newPipe makes a pipe whose ends block: tcpbed's reads and writes on it
// are plain system calls, bounded by the process's watchdog.
func newPipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	return os.NewFile(uintptr(fds[0]), "|0"), os.NewFile(uintptr(fds[1]), "|1"), nil
}

// ownGroup starts the program in a process group of its own, for
// killGroup.
func ownGroup(cmd *osexec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the program and whatever it started in its group: a
// child left holding its end of a pipe would keep tcpbed's read blocked.
func killGroup(p *os.Process) {
	syscall.Kill(-p.Pid, syscall.SIGKILL)
	p.Kill()
}

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
