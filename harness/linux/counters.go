package linux

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
)

// Counters returns the namespace's protocol counters: /proc/net/snmp
// (RFC 1213's MIB-II as Linux keeps it), /proc/net/netstat (Linux's
// extensions) and /proc/net/snmp6 (IPv6's, RFC 4293's), keyed "Tcp.InErrs",
// "Ip.InHdrErrors", "TcpExt.SyncookiesSent", "Ip6.InHdrErrors" and so on.
// TCP's are the namespace's, both families together. It reads
// /proc/thread-self/net on the namespace's thread: /proc/self/net would name
// the namespace of the process's main thread.
func (h *Host) Counters() (map[string]uint64, error) {
	counters := map[string]uint64{}
	for _, name := range []string{"snmp", "netstat", "snmp6"} {
		var b []byte
		err := h.ns.do(func() (err error) {
			b, err = os.ReadFile("/proc/thread-self/net/" + name)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read %s counters: %w", name, err)
		}
		parse := parseSNMP
		if name == "snmp6" {
			parse = parseSNMP6
		}
		c, err := parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		maps.Copy(counters, c)
	}
	return counters, nil
}

// parseSNMP reads either file's pairs of lines: "Tcp: Name1 Name2 ..." then
// "Tcp: 1 2 ...".
func parseSNMP(b []byte) (map[string]uint64, error) {
	counters := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		names := strings.Fields(sc.Text())
		if !sc.Scan() {
			return nil, fmt.Errorf("snmp: %q has no line of values", names)
		}
		values := strings.Fields(sc.Text())
		if len(names) != len(values) || len(names) == 0 || names[0] != values[0] {
			return nil, fmt.Errorf("snmp: names %q and values %q do not match", names, values)
		}
		proto := strings.TrimSuffix(names[0], ":")
		for i := 1; i < len(names); i++ {
			// Some counters (Tcp.MaxConn) are -1; they are not counts.
			v, err := strconv.ParseUint(values[i], 10, 64)
			if err != nil {
				continue
			}
			counters[proto+"."+names[i]] = v
		}
	}
	return counters, sc.Err()
}

// parseSNMP6 reads /proc/net/snmp6: one "Ip6InHdrErrors 0" per line, the
// protocol's name ending at its 6 ("Ip6", "Icmp6", "Udp6", "UdpLite6"), keyed
// as parseSNMP keys the others ("Ip6.InHdrErrors").
func parseSNMP6(b []byte) (map[string]uint64, error) {
	counters := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		i := strings.IndexByte(f[0], '6')
		if len(f) != 2 || i < 0 || i == len(f[0])-1 {
			return nil, fmt.Errorf("snmp6: line %q is not a counter", sc.Text())
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("snmp6: %w", err)
		}
		counters[f[0][:i+1]+"."+f[0][i+1:]] = v
	}
	return counters, sc.Err()
}
