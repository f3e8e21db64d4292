package linux

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// namespaceSysctls are written inside the namespace before the TUN exists
// (conf/default applies to devices created after it). Writing /proc/sys/net
// from the namespace's thread changes only that namespace: the kernel resolves
// /proc/sys/net against the writing thread's network namespace.
var namespaceSysctls = []sysctl{
	// No IPv6 on the TUN: otherwise the kernel sends router solicitations
	// and MLD reports down it as soon as it is up.
	{"net/ipv6/conf/all/disable_ipv6", "1"},
	{"net/ipv6/conf/default/disable_ipv6", "1"},
	// Reno: RFC 5681's congestion control (Linux's reno is NewReno with SACK
	// loss recovery), what ourstack implements, and the one algorithm always
	// built into the kernel and allowed to every namespace (a namespace may
	// pick only from tcp_allowed_congestion_control without CAP_SYS_MODULE).
	// A new namespace inherits the machine's choice otherwise, and bbr paces
	// segments out on a timer, which makes Settle's quiet period race with
	// the pacing timer.
	{"net/ipv4/tcp_congestion_control", "reno"},
	// Real-time behaviour that would make a run depend on how fast the
	// harness goes, since Linux's clock keeps running while the harness
	// works on virtual time:
	//   - tail loss probes fire at about two smoothed RTTs after the last
	//     send; a slow harness round would make Linux probe spuriously;
	{"net/ipv4/tcp_early_retrans", "0"},
	//   - after an idle period longer than the RTO, Linux would shrink its
	//     congestion window back to the initial one (RFC 5681 4.1 allows
	//     it); the idle time would be the harness's real-time pauses;
	{"net/ipv4/tcp_slow_start_after_idle", "0"},
	//   - autocorking holds small writes back while an earlier skb of the
	//     socket is still in the device's queue;
	{"net/ipv4/tcp_autocorking", "0"},
	//   - Linux sends at most one answer per 500 ms per socket to segments
	//     outside the window, challenge ACKs (RFC 5961) included; virtual
	//     seconds apart are microseconds apart on Linux's clock, so the
	//     second answer of a scenario would be swallowed;
	{"net/ipv4/tcp_invalid_ratelimit", "0"},
	//   - cached per-destination metrics (RTT, ssthresh) would carry one
	//     connection's history into the next one to the same address.
	{"net/ipv4/tcp_no_metrics_save", "1"},
	// Written at Linux's defaults, so a run does not depend on the machine.
	{"net/ipv4/tcp_timestamps", "1"},
	{"net/ipv4/tcp_sack", "1"},
	{"net/ipv4/tcp_window_scaling", "1"},
	{"net/ipv4/tcp_syncookies", "1"},
	{"net/ipv4/tcp_ecn", "2"},
	// Client ports from IANA's dynamic range (RFC 6335 6), as ourstack and
	// the gVisor peer use: Linux's default 32768-60999 holds ports that
	// Wireshark's dissectors claim, and a capture would decode a scenario's
	// data as their protocol.
	{"net/ipv4/ip_local_port_range", "49152 65535"},
}

// sysctl is one /proc/sys entry, named by its path below /proc/sys.
type sysctl struct {
	Key, Value string
}

// writeSysctl sets /proc/sys/key. Call it on the namespace's thread.
func writeSysctl(key, value string) error {
	path := filepath.Join("/proc/sys", filepath.Clean("/"+key))
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, value, err)
	}
	return nil
}

// readSysctl returns /proc/sys/key without its trailing newline. Call it on
// the namespace's thread to read the namespace's value.
func readSysctl(key string) (string, error) {
	path := filepath.Join("/proc/sys", filepath.Clean("/"+key))
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("sysctl %s: %w", key, err)
	}
	return strings.TrimSpace(string(b)), nil
}
