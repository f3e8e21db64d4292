package harness

import (
	"encoding/binary"
	"io"
	"strings"
	"time"
)

// pcapWriter writes each packet that crosses the wire to a pcapng file of
// raw IP (LINKTYPE_RAW) with nanosecond timestamps, as a capture on the
// sender's side of the wire would see it, plus the packets a test injected.
// Each packet whose fate was not a plain delivery carries a packet comment
// saying what happened to it (captureComment): Wireshark shows it in the
// packet's details and as pkt_comment in its columns and filters
// (frame.comment), and tshark prints it with -e frame.comment.
//
// The format is small enough to write by hand (the pcapng draft,
// draft-ietf-opsawg-pcapng: a section header block, one interface
// description block, an enhanced packet block a packet), and a library
// for it costs its init in every process that links the harness:
// gopacket's layers package took 30 ms, once per run of a stack served in
// a process of its own (cmd/tcpbed-peer). The tests read it back with
// gopacket's pcapgo and with tshark.
type pcapWriter struct {
	w   io.Writer
	buf []byte
	err error
}

// pcapng block types and option codes.
const (
	ngSectionHeader    = 0x0a0d0d0a
	ngInterfaceDesc    = 0x00000001
	ngEnhancedPacket   = 0x00000006
	ngByteOrderMagic   = 0x1a2b3c4d
	ngOptEnd           = 0
	ngOptComment       = 1
	ngOptShbUserAppl   = 4
	ngOptIfName        = 2
	ngOptIfDescription = 3
	ngOptIfTsresol     = 9
	ngLinkTypeRaw      = 101
)

func newPcapWriter(w io.Writer) (*pcapWriter, error) {
	le := binary.LittleEndian
	var b []byte
	// Section header: byte-order magic, version 1.0, section length
	// unknown (-1), the application's name.
	b = ngBlock(b, ngSectionHeader, func(b []byte) []byte {
		b = le.AppendUint32(b, ngByteOrderMagic)
		b = le.AppendUint16(b, 1)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint64(b, ^uint64(0))
		b = ngOption(b, ngOptShbUserAppl, []byte("tcpbed"))
		return ngOption(b, ngOptEnd, nil)
	})
	// One interface: raw IP, no snap length limit, and nanosecond
	// timestamps (if_tsresol 9): timers fire a few clock ticks (ns) past an
	// instant (PeerClock), and the capture shows the times the trace shows.
	b = ngBlock(b, ngInterfaceDesc, func(b []byte) []byte {
		b = le.AppendUint16(b, ngLinkTypeRaw)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint32(b, 0)
		b = ngOption(b, ngOptIfName, []byte("tcpbed-wire"))
		b = ngOption(b, ngOptIfDescription, []byte("the in-memory wire between tcpbed's two peers, seen at each sender"))
		b = ngOption(b, ngOptIfTsresol, []byte{9})
		return ngOption(b, ngOptEnd, nil)
	})
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	return &pcapWriter{w: w}, nil
}

// write records pkt, whose record is r, at virtual time at; the first error
// sticks.
func (p *pcapWriter) write(at time.Duration, pkt []byte, r *Record) {
	if p.err != nil {
		return
	}
	le := binary.LittleEndian
	ns := uint64(Epoch.Add(at).UnixNano())
	p.buf = ngBlock(p.buf[:0], ngEnhancedPacket, func(b []byte) []byte {
		b = le.AppendUint32(b, 0) // interface 0
		b = le.AppendUint32(b, uint32(ns>>32))
		b = le.AppendUint32(b, uint32(ns))
		b = le.AppendUint32(b, uint32(len(pkt))) // captured
		b = le.AppendUint32(b, uint32(len(pkt))) // on the wire
		b = ngPad(append(b, pkt...))
		if c := captureComment(r); c != "" {
			b = ngOption(b, ngOptComment, []byte(c))
			b = ngOption(b, ngOptEnd, nil)
		}
		return b
	})
	_, p.err = p.w.Write(p.buf)
}

// ngBlock appends a block of type typ whose body body appends, framed by
// its total length before and after.
func ngBlock(b []byte, typ uint32, body func([]byte) []byte) []byte {
	le := binary.LittleEndian
	start := len(b)
	b = le.AppendUint32(b, typ)
	b = le.AppendUint32(b, 0) // total length, filled in below
	b = body(b)
	n := uint32(len(b) - start + 4)
	le.PutUint32(b[start+4:], n)
	return le.AppendUint32(b, n)
}

// ngOption appends one option, its value padded to 32 bits.
func ngOption(b []byte, code uint16, value []byte) []byte {
	le := binary.LittleEndian
	b = le.AppendUint16(b, code)
	b = le.AppendUint16(b, uint16(len(value)))
	return ngPad(append(b, value...))
}

// ngPad pads b with zeros to a multiple of 4 bytes.
func ngPad(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
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
