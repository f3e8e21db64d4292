package harness

import (
	"encoding/binary"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// FormatOptions choose how a trace prints.
type FormatOptions struct {
	// Absolute prints raw sequence numbers; by default they are relative to
	// each direction's first (as tcpdump does without -S).
	Absolute bool
	// NoStates leaves out the states of both ends beside each line.
	NoStates bool
	// StateChanges adds a line for every state change, where it happened
	// among the packets:
	// "61.005000 client 192.0.2.1.49091 > 192.0.2.2.80: TIME-WAIT -> CLOSED".
	StateChanges bool
}

// String is the trace in tcpdump's style, relative sequence numbers, with
// both ends' states beside each packet.
func (t *Trace) String() string {
	var b strings.Builder
	t.Format(&b, FormatOptions{})
	return b.String()
}

// Format writes the trace in tcpdump's style, one packet a line, numbered
// as failure messages and Record.Index count them (#0 is the first):
//
//	#0 0.000000 192.0.2.1.49152 > 192.0.2.2.7357: Flags [S], seq 1893430205, win 64240, options [mss 1460,nop,wscale 7], length 0   client SYN-SENT, server SYN-RECEIVED
//
// A packet the wire lost or changed says so before the states; the states
// are each end's right after the receiver processed the packet.
func (t *Trace) Format(w io.Writer, opts FormatOptions) error {
	seqs := newSeqBases(opts.Absolute)
	lines := make([]string, len(t.Records))
	numWidth := len("#" + strconv.Itoa(max(len(t.Records)-1, 0)))
	width := 0
	for i, r := range t.Records {
		num := "#" + strconv.Itoa(r.Index)
		lines[i] = num + strings.Repeat(" ", numWidth-len(num)+1) + formatPacket(r, seqs)
		width = max(width, len(lines[i]))
	}
	changeIndent := strings.Repeat(" ", numWidth+1)
	var b strings.Builder
	changes := t.Changes
	if !opts.StateChanges {
		changes = nil
	}
	for i, r := range t.Records {
		for len(changes) > 0 && changes[0].order < r.order {
			if _, err := io.WriteString(w, changeIndent+formatChange(changes[0])); err != nil {
				return err
			}
			changes = changes[1:]
		}
		b.Reset()
		b.WriteString(lines[i])
		tail := recordTail(r, opts)
		if tail != "" {
			b.WriteString(strings.Repeat(" ", width-len(lines[i])+3))
			b.WriteString(tail)
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	for _, c := range changes {
		if _, err := io.WriteString(w, changeIndent+formatChange(c)); err != nil {
			return err
		}
	}
	return nil
}

// formatChange is a state change's line, the connection written local end
// first as tcpdump writes addresses:
// "61.005000 client 192.0.2.1.49091 > 192.0.2.2.80: TIME-WAIT -> CLOSED".
func formatChange(c StateChange) string {
	conn := c.ID.LocalAddr.String() + "." + strconv.Itoa(int(c.ID.LocalPort))
	if c.ID.RemotePort != 0 {
		conn += " > " + c.ID.RemoteAddr.String() + "." + strconv.Itoa(int(c.ID.RemotePort))
	}
	return formatTime(c.At) + " " + c.Side.String() + " " + conn + ": " + c.From.String() + " -> " + c.To.String() + "\n"
}

// recordTail is the fate, the rules that touched the packet, and the states.
func recordTail(r *Record, opts FormatOptions) string {
	var parts []string
	if r.Injected {
		parts = append(parts, "INJECTED")
	}
	if r.Fate != Delivered {
		fate := strings.ToUpper(r.Fate.String())
		parts = append(parts, fate)
	}
	if len(r.Notes) > 0 {
		parts = append(parts, "("+strings.Join(r.Notes, "; ")+")")
	}
	if !opts.NoStates && r.Fate != InFlight {
		parts = append(parts, "client "+stateName(r.States[Client])+", server "+stateName(r.States[Server]))
	}
	return strings.Join(parts, "  ")
}

func stateName(s State) string {
	if s == NoState {
		return "-"
	}
	return s.String()
}

// formatTime prints virtual time since Epoch as seconds.microseconds.
func formatTime(d time.Duration) string {
	us := d.Microseconds()
	frac := strconv.FormatInt(us%1e6, 10)
	return strconv.FormatInt(us/1e6, 10) + "." + strings.Repeat("0", 6-len(frac)) + frac
}

// seqBases tracks, per direction of each connection, the sequence number
// relative numbers count from: the first one seen (a SYN restarts it).
type seqBases struct {
	absolute bool
	base     map[dirKey]seqnum.Value
}

type dirKey struct {
	src, dst netip.AddrPort
}

func newSeqBases(absolute bool) *seqBases {
	return &seqBases{absolute: absolute, base: map[dirKey]seqnum.Value{}}
}

// tcpdumpAddr writes an address and port as tcpdump does: 192.0.2.1.80.
func tcpdumpAddr(a netip.AddrPort) string {
	return a.Addr().String() + "." + strconv.Itoa(int(a.Port()))
}

// formatPacket is the tcpdump part of a line.
func formatPacket(r *Record, seqs *seqBases) string {
	var b strings.Builder
	p := &r.Packet
	b.WriteString(formatTime(r.At))
	b.WriteByte(' ')
	if m := r.ICMP; m != nil {
		q := &m.Quoted
		seq := uint32(q.TCP.Seq)
		quoted := dirKey{netip.AddrPortFrom(q.IP.Src, q.TCP.SrcPort), netip.AddrPortFrom(q.IP.Dst, q.TCP.DstPort)}
		if base, ok := seqs.base[quoted]; ok && !seqs.absolute {
			seq = uint32(q.TCP.Seq - base)
		}
		if m.QuoteUnreadable {
			b.WriteString(p.IP.Src.String() + " > " + p.IP.Dst.String() + ": " + m.String() + ", quoting no IPv6 header, length " + strconv.Itoa(r.Len))
			return b.String()
		}
		b.WriteString(p.IP.Src.String() + " > " + p.IP.Dst.String() + ": " + m.String() + ", about " +
			tcpdumpAddr(quoted.src) + " > " + tcpdumpAddr(quoted.dst) + " seq " + strconv.FormatUint(uint64(seq), 10) + ", length " + strconv.Itoa(r.Len))
		return b.String()
	}
	if r.ParseErr != nil && p.TCP.SrcPort == 0 && p.TCP.DstPort == 0 {
		b.WriteString(p.IP.Src.String() + " > " + p.IP.Dst.String() + ": [malformed: " + r.ParseErr.Error() + "], length " + strconv.Itoa(r.Len))
		return b.String()
	}
	src := netip.AddrPortFrom(p.IP.Src, p.TCP.SrcPort)
	dst := netip.AddrPortFrom(p.IP.Dst, p.TCP.DstPort)
	b.WriteString(tcpdumpAddr(src) + " > " + tcpdumpAddr(dst) + ": ")
	seg := &p.TCP
	b.WriteString("Flags [" + seg.Flags.String() + "]")

	fwd, back := dirKey{src, dst}, dirKey{dst, src}
	seq, ack := uint32(seg.Seq), uint32(seg.Ack)
	if !seqs.absolute {
		base, known := seqs.base[fwd]
		if seg.Flags.Has(packet.SYN) && known && base != seg.Seq {
			known = false // a new incarnation of the connection
		}
		if known {
			seq = uint32(seg.Seq - base)
			if ackBase, ok := seqs.base[back]; ok {
				ack = uint32(seg.Ack - ackBase)
			}
		} else if r.ParseErr == nil {
			// Only an intact packet sets where numbers count from: a
			// corrupted one's fields may be flipped bits.
			seqs.base[fwd] = seg.Seq
		}
	}
	// tcpdump leaves seq off a pure ACK; with absolute numbers it is shown
	// on every line, so that a keepalive probe at SND.NXT-1 or an old
	// duplicate ACK reads as what it is.
	if seqs.absolute || r.PayloadLen > 0 || seg.Flags&(packet.SYN|packet.FIN|packet.RST) != 0 {
		b.WriteString(", seq " + strconv.FormatUint(uint64(seq), 10))
		if r.PayloadLen > 0 {
			b.WriteString(":" + strconv.FormatUint(uint64(seq+uint32(r.PayloadLen)), 10))
		}
	}
	if seg.Flags.Has(packet.ACK) {
		b.WriteString(", ack " + strconv.FormatUint(uint64(ack), 10))
	}
	b.WriteString(", win " + strconv.Itoa(int(seg.Window)))
	if seg.Flags.Has(packet.URG) {
		b.WriteString(", urg " + strconv.Itoa(int(seg.Urgent)))
	}
	if len(r.TCPOptions) > 0 {
		var sackBase seqnum.Value
		if !seqs.absolute {
			sackBase = seqs.base[back]
		}
		b.WriteString(", options [" + formatOptions(r.TCPOptions, sackBase) + "]")
	}
	b.WriteString(", length " + strconv.Itoa(r.PayloadLen))
	return b.String()
}

// formatOptions prints raw TCP options in wire order, as tcpdump names them.
// SACK blocks are printed relative to sackBase.
func formatOptions(o []byte, sackBase seqnum.Value) string {
	var parts []string
	for len(o) > 0 {
		kind := o[0]
		if kind == 0 {
			parts = append(parts, "eol")
			break
		}
		if kind == 1 {
			parts = append(parts, "nop")
			o = o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) < 2 || int(o[1]) > len(o) {
			parts = append(parts, "bad opt")
			break
		}
		body := o[2:o[1]]
		o = o[o[1]:]
		switch {
		case kind == 2 && len(body) == 2:
			parts = append(parts, "mss "+strconv.Itoa(int(binary.BigEndian.Uint16(body))))
		case kind == 3 && len(body) == 1:
			parts = append(parts, "wscale "+strconv.Itoa(int(body[0])))
		case kind == 4 && len(body) == 0:
			parts = append(parts, "sackOK")
		case kind == 5 && len(body)%8 == 0:
			s := "sack " + strconv.Itoa(len(body)/8)
			for i := 0; i < len(body); i += 8 {
				l := seqnum.Value(binary.BigEndian.Uint32(body[i:])) - sackBase
				r := seqnum.Value(binary.BigEndian.Uint32(body[i+4:])) - sackBase
				s += " {" + strconv.FormatUint(uint64(l), 10) + ":" + strconv.FormatUint(uint64(r), 10) + "}"
			}
			parts = append(parts, s)
		case kind == 8 && len(body) == 8:
			parts = append(parts, "TS val "+strconv.FormatUint(uint64(binary.BigEndian.Uint32(body)), 10)+" ecr "+strconv.FormatUint(uint64(binary.BigEndian.Uint32(body[4:])), 10))
		default:
			parts = append(parts, "opt-"+strconv.Itoa(int(kind))+":"+strconv.Itoa(len(body)))
		}
	}
	return strings.Join(parts, ",")
}
