package linux

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// namespaceSysctls are written inside the namespace before the TUN exists
// (conf/default applies to devices created after it), after the family's
// own (familySysctls). Writing /proc/sys/net from the namespace's thread
// changes only that namespace: the kernel resolves /proc/sys/net against the
// writing thread's network namespace.
//
// The net.ipv4.tcp_* settings and ip_local_port_range hold for both
// families: they are the namespace's, not IPv4's (net/ipv6/tcp_ipv6.c reads
// the same net->ipv4.sysctl_tcp_* fields, and inet6_hash_connect takes its
// ports from inet_get_local_port_range).
var namespaceSysctls = []sysctl{
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

// ipv4OnlySysctls: a Host with an IPv4 address has no IPv6 on the TUN,
// otherwise the kernel sends router solicitations and MLD reports down it as
// soon as it is up.
var ipv4OnlySysctls = []sysctl{
	{"net/ipv6/conf/all/disable_ipv6", "1"},
	{"net/ipv6/conf/default/disable_ipv6", "1"},
}

// ipv6Sysctls: a Host with an IPv6 address gets IPv6 on the TUN and nothing
// of IPv6's host configuration, which a two-host wire has no use for and
// which would put packets other than the run's on it (the Host drops any
// that still come, host.go):
var ipv6Sysctls = []sysctl{
	{"net/ipv6/conf/all/disable_ipv6", "0"},
	{"net/ipv6/conf/default/disable_ipv6", "0"},
	//   - no link-local address (IN6_ADDR_GEN_MODE_NONE): its completion is
	//     what sends the first router solicitation and MLD report
	//     (addrconf_dad_completed in net/ipv6/addrconf.c);
	{"net/ipv6/conf/default/addr_gen_mode", "1"},
	//   - no duplicate address detection (RFC 4862 5.4): the address is
	//     usable at once instead of tentative, which refuses connections
	//     (the address is added with IFA_F_NODAD too, address.go);
	{"net/ipv6/conf/all/accept_dad", "0"},
	{"net/ipv6/conf/default/accept_dad", "0"},
	{"net/ipv6/conf/default/dad_transmits", "0"},
	//   - no router discovery and no stateless autoconfiguration (RFC 4861
	//     6.3.7, RFC 4862 5.5): no solicitations sent, no advertisement
	//     heeded;
	{"net/ipv6/conf/all/router_solicitations", "0"},
	{"net/ipv6/conf/default/router_solicitations", "0"},
	{"net/ipv6/conf/all/accept_ra", "0"},
	{"net/ipv6/conf/default/accept_ra", "0"},
	{"net/ipv6/conf/all/autoconf", "0"},
	{"net/ipv6/conf/default/autoconf", "0"},
	// MLD needs no sysctl: a TUN joins no group it reports. All-nodes is
	// never reported (mca_alloc in net/ipv6/mcast.c) and a device with
	// IFF_NOARP joins no solicited-node group (addrconf_join_solict in
	// net/ipv6/addrconf.c).
}

// familySysctls are the sysctls that depend on the family of addr, the
// Host's address.
func familySysctls(addr netip.Addr) []sysctl {
	if addr.Is6() {
		return ipv6Sysctls
	}
	return ipv4OnlySysctls
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
