package harness

import (
	"io"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// pcapWriter writes each packet that crosses the wire to a classic pcap file
// with nanosecond timestamps
// of raw IPv4 (LINKTYPE_RAW), as a capture on the sender's side of the wire
// would see it: packets the wire later drops are in it, corrupted ones
// carry their bad checksum. Wireshark and tshark read it.
type pcapWriter struct {
	w   *pcapgo.Writer
	err error
}

func newPcapWriter(w io.Writer) (*pcapWriter, error) {
	// Nanosecond timestamps: timers fire a few clock ticks (ns) past an
	// instant (PeerClock), and the capture shows the times the trace shows.
	pw := pcapgo.NewWriterNanos(w)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeRaw); err != nil {
		return nil, err
	}
	return &pcapWriter{w: pw}, nil
}

// write records pkt at virtual time at; the first error sticks.
func (p *pcapWriter) write(at time.Duration, pkt []byte) {
	if p.err != nil {
		return
	}
	p.err = p.w.WritePacket(gopacket.CaptureInfo{
		Timestamp:     Epoch.Add(at),
		CaptureLength: len(pkt),
		Length:        len(pkt),
	}, pkt)
}
