package harness

import (
	"encoding/binary"
	"io"
	"time"
)

// pcapWriter writes each packet that crosses the wire to a classic pcap file
// with nanosecond timestamps
// of raw IPv4 (LINKTYPE_RAW), as a capture on the sender's side of the wire
// would see it: packets the wire later drops are in it, corrupted ones
// carry their bad checksum. Wireshark and tshark read it.
//
// The format is small enough to write by hand (pcap-savefile(5)), and a
// library for it costs its init in every process that links the harness:
// gopacket's layers package took 30 ms, once per run of a stack served in
// a process of its own (cmd/tcpbed-peer).
type pcapWriter struct {
	w   io.Writer
	buf []byte
	err error
}

// The file header's fields (pcap-savefile(5)), little-endian: the magic
// number of a file with nanosecond timestamps, version 2.4, and
// LINKTYPE_RAW (packets begin with their IP header).
const (
	pcapMagicNanos   = 0xa1b23c4d
	pcapVersionMajor = 2
	pcapVersionMinor = 4
	pcapSnapLen      = 65535
	pcapLinkTypeRaw  = 101
)

func newPcapWriter(w io.Writer) (*pcapWriter, error) {
	// Nanosecond timestamps: timers fire a few clock ticks (ns) past an
	// instant (PeerClock), and the capture shows the times the trace shows.
	le := binary.LittleEndian
	h := le.AppendUint32(nil, pcapMagicNanos)
	h = le.AppendUint16(h, pcapVersionMajor)
	h = le.AppendUint16(h, pcapVersionMinor)
	h = le.AppendUint32(h, 0) // thiszone: GMT
	h = le.AppendUint32(h, 0) // sigfigs
	h = le.AppendUint32(h, pcapSnapLen)
	h = le.AppendUint32(h, pcapLinkTypeRaw)
	if _, err := w.Write(h); err != nil {
		return nil, err
	}
	return &pcapWriter{w: w}, nil
}

// write records pkt at virtual time at; the first error sticks.
func (p *pcapWriter) write(at time.Duration, pkt []byte) {
	if p.err != nil {
		return
	}
	ts := Epoch.Add(at)
	le := binary.LittleEndian
	p.buf = le.AppendUint32(p.buf[:0], uint32(ts.Unix()))
	p.buf = le.AppendUint32(p.buf, uint32(ts.Nanosecond()))
	p.buf = le.AppendUint32(p.buf, uint32(len(pkt))) // captured
	p.buf = le.AppendUint32(p.buf, uint32(len(pkt))) // on the wire
	p.buf = append(p.buf, pkt...)
	_, p.err = p.w.Write(p.buf)
}
