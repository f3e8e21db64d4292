package harness

import (
	"io"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapWriter writes each packet that crosses the wire to a pcapng file of
// raw IP (LINKTYPE_RAW) with nanosecond timestamps, as a capture on the
// sender's side of the wire would see it, plus the packets a test injected.
// Each packet whose fate was not a plain delivery carries a packet comment
// saying what happened to it (captureComment): Wireshark shows it in the
// packet's details and as pkt_comment in its columns and filters
// (frame.comment), and tshark prints it with -e frame.comment.
type pcapWriter struct {
	w   *pcapgo.NgWriter
	err error
}

func newPcapWriter(w io.Writer) (*pcapWriter, error) {
	// Nanosecond timestamps: timers fire a few clock ticks (ns) past an
	// instant (PeerClock), and the capture shows the times the trace shows.
	pw, err := pcapgo.NewNgWriterInterface(w, pcapgo.NgInterface{
		Name:                "tcpbed-wire",
		Description:         "the in-memory wire between tcpbed's two peers, seen at each sender",
		LinkType:            layers.LinkTypeRaw,
		TimestampResolution: 9,
	}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "tcpbed"}})
	if err != nil {
		return nil, err
	}
	p := &pcapWriter{w: pw}
	p.err = pw.Flush()
	return p, p.err
}

// write records pkt, whose record is r, at virtual time at; the first error
// sticks. Each packet is flushed at once, so a run that dies still leaves
// its capture.
func (p *pcapWriter) write(at time.Duration, pkt []byte, r *Record) {
	if p.err != nil {
		return
	}
	ci := gopacket.CaptureInfo{Timestamp: Epoch.Add(at), CaptureLength: len(pkt), Length: len(pkt)}
	var opts pcapgo.NgPacketOptions
	if c := captureComment(r); c != "" {
		opts.Comments = []string{c}
	}
	if p.err = p.w.WritePacketWithOptions(ci, pkt, opts); p.err == nil {
		p.err = p.w.Flush()
	}
}

// captureComment is what the capture says about r beyond its bytes: how it
// came onto the wire and what the wire did with it, in the trace's words;
// "" for a packet a stack sent and the wire carried untouched.
func captureComment(r *Record) string {
	var parts []string
	if r.Injected {
		parts = append(parts, "INJECTED by the test: handed to its receiver, sent by no stack")
	}
	switch r.Fate {
	case Dropped:
		parts = append(parts, "DROPPED by a fault rule: it never reached its receiver")
	case QueueDropped:
		parts = append(parts, "QUEUE-DROP: the link's queue was full; it never reached its receiver")
	case TooBig:
		parts = append(parts, "TOO-BIG for the link's MTU: it never reached its receiver")
	case Corrupted:
		parts = append(parts, "CORRUPTED on the wire (one bit flipped after the checksums): its receiver must drop it; the bytes here are as delivered")
	case Duplicated:
		parts = append(parts, "DUPLICATE: a copy the wire made of a packet before it; both were delivered")
	}
	if r.HeldBack {
		parts = append(parts, "held back by a delay or reorder rule: it may arrive after packets sent later")
	}
	if len(r.Notes) > 0 {
		parts = append(parts, "rules: "+strings.Join(r.Notes, "; "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "tcpbed: " + strings.Join(parts, "; ")
}
