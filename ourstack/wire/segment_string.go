package wire

import (
	"strconv"
	"strings"
)

// String prints the segment in tcpdump's style (absolute sequence numbers):
//
//	Flags [S.], seq 1893430205, ack 84689410, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
//
// The ack is printed only when ACK is set, as tcpdump does.
func (s *Segment) String() string {
	var b strings.Builder
	b.WriteString("Flags [")
	b.WriteString(s.Flags.String())
	b.WriteString("], seq ")
	b.WriteString(strconv.FormatUint(uint64(s.Seq), 10))
	if s.Flags.Has(FlagACK) {
		b.WriteString(", ack ")
		b.WriteString(strconv.FormatUint(uint64(s.Ack), 10))
	}
	b.WriteString(", win ")
	b.WriteString(strconv.FormatUint(uint64(s.Window), 10))
	if s.Flags.Has(FlagURG) {
		b.WriteString(", urg ")
		b.WriteString(strconv.FormatUint(uint64(s.Urgent), 10))
	}
	if opts := s.Options.String(); opts != "" {
		b.WriteString(", options [")
		b.WriteString(opts)
		b.WriteString("]")
	}
	b.WriteString(", length ")
	b.WriteString(strconv.Itoa(len(s.Payload)))
	return b.String()
}

// String prints the options as tcpdump names them, comma-separated, in the
// order Encode writes them; "" when there are none.
func (o *Options) String() string {
	var parts []string
	if o.HasMSS {
		parts = append(parts, "mss "+strconv.Itoa(int(o.MSS)))
	}
	if o.SACKPermitted {
		parts = append(parts, "sackOK")
	}
	if o.HasTimestamps {
		parts = append(parts, "TS val "+strconv.FormatUint(uint64(o.TSVal), 10)+" ecr "+strconv.FormatUint(uint64(o.TSEcr), 10))
	}
	if o.HasWindowScale {
		parts = append(parts, "wscale "+strconv.Itoa(int(o.WindowScale)))
	}
	if n := min(max(o.NumSACKBlocks, 0), MaxSACKBlocks); n > 0 {
		sack := "sack " + strconv.Itoa(n)
		for _, blk := range o.SACKBlocks[:n] {
			sack += " {" + strconv.FormatUint(uint64(blk.Left), 10) + ":" + strconv.FormatUint(uint64(blk.Right), 10) + "}"
		}
		parts = append(parts, sack)
	}
	return strings.Join(parts, ",")
}

// String prints the packet as tcpdump prints an IPv4 TCP packet:
//
//	IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 16909060, win 64240, options [mss 1460], length 0
func (p *Packet) String() string {
	return "IP " + p.IP.Src.String() + "." + strconv.Itoa(int(p.TCP.SrcPort)) +
		" > " + p.IP.Dst.String() + "." + strconv.Itoa(int(p.TCP.DstPort)) + ": " + p.TCP.String()
}

// String prints the packet as tcpdump prints an IPv6 TCP packet:
//
//	IP6 2001:db8::1.40000 > 2001:db8::2.80: Flags [S], seq 16909060, win 64240, length 0
func (p *Packet6) String() string {
	return "IP6 " + p.IP.Src.String() + "." + strconv.Itoa(int(p.TCP.SrcPort)) +
		" > " + p.IP.Dst.String() + "." + strconv.Itoa(int(p.TCP.DstPort)) + ": " + p.TCP.String()
}
