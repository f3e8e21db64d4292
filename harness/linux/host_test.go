package linux

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The namespace is private: its sysctls differ from the machine's without
// changing them, and its TUN is invisible outside it.
func TestNamespaceIsPrivate(t *testing.T) {
	const key = "net/ipv4/tcp_congestion_control"
	machineBefore, err := readSysctl(key)
	if err != nil {
		t.Fatal(err)
	}
	h := openHost(t, Config{Sysctls: map[string]string{"net/ipv4/tcp_sack": "0"}})
	if v, err := h.Sysctl(key); err != nil || v != "reno" {
		t.Errorf("namespace %s = %q, %v; want reno", key, v, err)
	}
	if v, err := h.Sysctl("net/ipv4/tcp_sack"); err != nil || v != "0" {
		t.Errorf("namespace tcp_sack = %q, %v; want 0 from Config.Sysctls", v, err)
	}
	// This goroutine is not on the namespace's thread, so it sees the
	// machine's values and interfaces.
	if v, _ := readSysctl(key); v != machineBefore {
		t.Errorf("machine's %s changed from %q to %q", key, machineBefore, v)
	}
	if v, _ := readSysctl("net/ipv4/tcp_sack"); v == "0" {
		t.Errorf("machine's tcp_sack is 0: the namespace's sysctl leaked out")
	}
	if _, err := net.InterfaceByName(defaultDevice); err == nil {
		t.Errorf("%s is visible outside the namespace", defaultDevice)
	}
	// A second Host gets a namespace of its own: the same device name, the
	// same address, no clash.
	h2 := openHost(t, Config{})
	if h2.Addr() != h.Addr() {
		t.Fatalf("addresses %v and %v", h.Addr(), h2.Addr())
	}
	if _, err := h2.Listen(8080, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Listen(8080, 1); err != nil {
		t.Fatalf("same port in the other namespace: %v", err)
	}
}

// Each Host's thread exits with Close: opening and closing many Hosts does
// not grow the process's threads.
func TestCloseReleasesThread(t *testing.T) {
	threads := func() int {
		ents, err := os.ReadDir("/proc/self/task")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	h := openHost(t, Config{}) // skips when unavailable; warms the runtime
	h.Close()
	before := threads()
	for range 10 {
		h, err := Open(Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Listen(80, 1); err != nil {
			t.Fatal(err)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// The Go runtime may start a spare thread or two; ten leaked ones would
	// be ten.
	if after := threads(); after > before+3 {
		t.Errorf("threads: %d before, %d after opening and closing 10 Hosts", before, after)
	}
	if _, err := h.Listen(81, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Listen on a closed Host: %v, want ErrClosed", err)
	}
}

// unprivilegedChild, set in the child's environment, makes
// TestUnavailableHelper run Open and report.
const unprivilegedChild = "TCPBED_LINUX_UNPRIVILEGED_CHILD"

// Without privilege Open fails with ErrUnavailable naming the reason. The
// test re-runs this test binary as nobody (uid 65534).
func TestUnavailableWithoutPrivilege(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to start a child as nobody")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary's own directory is private to root; copy it where
	// nobody can run it.
	dir, err := os.MkdirTemp("", "tcpbed-linux-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "linux.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestUnavailableHelper$", "-test.v")
	cmd.Env = append(os.Environ(), unprivilegedChild+"=1")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "unavailable as expected:") {
		t.Fatalf("child did not report ErrUnavailable:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestUnavailableHelper is the child half of TestUnavailableWithoutPrivilege.
func TestUnavailableHelper(t *testing.T) {
	if os.Getenv(unprivilegedChild) != "1" {
		t.Skip("run by TestUnavailableWithoutPrivilege")
	}
	h, err := Open(Config{})
	if err == nil {
		h.Close()
		t.Fatal("Open succeeded without privilege")
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open: %v, want ErrUnavailable", err)
	}
	var ue *UnavailableError
	if !errors.As(err, &ue) || !(errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)) {
		t.Fatalf("Open: %v, want an UnavailableError wrapping EPERM or EACCES", err)
	}
	t.Logf("unavailable as expected: %v", err)
}
