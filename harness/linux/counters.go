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
// (RFC 1213's MIB-II as Linux keeps it) and /proc/net/netstat (Linux's
// extensions), keyed "Tcp.InErrs", "Ip.InHdrErrors", "TcpExt.SyncookiesSent"
// and so on. It reads /proc/thread-self/net on the namespace's thread:
// /proc/self/net would name the namespace of the process's main thread.
func (h *Host) Counters() (map[string]uint64, error) {
	counters := map[string]uint64{}
	for _, name := range []string{"snmp", "netstat"} {
		var b []byte
		err := h.ns.do(func() (err error) {
			b, err = os.ReadFile("/proc/thread-self/net/" + name)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read %s counters: %w", name, err)
		}
		c, err := parseSNMP(b)
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
