package exec

import "golang.org/x/sys/unix"

// pipeBytes is how many bytes wait in the pipe fd (FIONREAD, which Linux
// calls TIOCINQ).
func pipeBytes(fd uintptr) int {
	n, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ)
	if err != nil {
		return 0
	}
	return n
}
