package fuzz

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// fuzzSegmentsIntoConn is the connection's segment fuzz target
// (segments_into_conn_test.go) for one input.
func fuzzSegmentsIntoConn(t fuzzT, in []byte) {
	if len(in) == 0 {
		return
	}
	state := segConnStates[int(in[0])%len(segConnStates)]
	passive := in[0]/9%2 == 1
	c, err := segConnSetup(state, passive, uint64(in[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.net.Close()
	c.violations = append(c.violations, segConnSetupViolations(c)...)
	var log []string
	runSegConnSteps(c, in[1:], &log)
	// Then the raw peer falls silent. A connection that waits for
	// the ACK of its SYN or FIN retransmits it and gives up in the
	// end (RFC 9293 3.8.3), and TIME-WAIT ends after 2MSL: none of
	// those states may outlast half an hour of silence.
	if err := c.net.Advance(30 * time.Minute); err != nil {
		c.violate("advance: %v", err)
	}
	c.drain()
	if st := c.state(); needsTimer(st) || st == harness.TimeWait {
		c.violate("after 30 minutes of silence ourstack is still in %v", st)
	}
	if bad := judge.StatePaths(c.net.Trace().Changes, c.oursSide); bad != "" {
		c.violate("%s", bad)
	}
	if len(c.violations) > 0 {
		var tr strings.Builder
		c.net.Trace().Format(&tr, harness.FormatOptions{StateChanges: true})
		t.Fatalf("from %v (ourstack %s): %s\nsteps: %s\n%s", state, c.oursSide, strings.Join(c.violations, "\n"), strings.Join(log, "; "), tr.String())
	}
}

// segConnSetupViolations: reaching the state must itself have been clean.
func segConnSetupViolations(c *segConn) []string {
	v := c.violations
	c.violations = nil
	return v
}

const segConnMaxSteps = 48

// runSegConnSteps decodes and runs the steps, noting each in log.
func runSegConnSteps(c *segConn, in []byte, log *[]string) {
	next := func(n int) ([]byte, bool) {
		if len(in) < n {
			return nil, false
		}
		b := in[:n]
		in = in[n:]
		return b, true
	}
	for step := 0; step < segConnMaxSteps; step++ {
		op, ok := next(1)
		if !ok {
			return
		}
		switch op[0] % 6 {
		case 0, 1, 2:
			b, ok := next(7)
			if !ok {
				return
			}
			seg := c.fuzzedSegment(b)
			*log = append(*log, fmt.Sprintf("send Flags [%v], seq %d, ack %d, win %d, length %d", seg.Flags, seg.Seq, seg.Ack, seg.Window, len(seg.Payload)))
			c.send(seg)
		case 3:
			b, ok := next(1)
			if !ok {
				return
			}
			d := time.Duration(b[0]) * 10 * time.Millisecond
			if at, ok := c.net.NextEvent(); ok && b[0] == 255 {
				d = at - c.net.Now()
			}
			*log = append(*log, "advance "+d.String())
			if err := c.net.Advance(d); err != nil {
				c.violate("advance: %v", err)
			}
			c.drain()
		case 4:
			*log = append(*log, "read")
			c.readAll()
		case 5:
			b, ok := next(1)
			if !ok {
				return
			}
			c.appCall(b[0], log)
		}
	}
}

// fuzzedSegment builds a segment from 7 bytes, near the edges of both
// windows.
func (c *segConn) fuzzedSegment(b []byte) packet.Segment {
	flags := packet.Flags(b[0])
	seqOff := seqnum.Value(int32(int16(binary.BigEndian.Uint16(b[2:]))))
	ackOff := seqnum.Value(int32(int8(b[4])))
	var seq seqnum.Value
	switch b[1] & 3 {
	case 0:
		seq = c.oursAck // RCV.NXT, as ourstack last said
	case 1:
		seq = c.oursRightEdge // the right edge of its window
	case 2:
		seq = c.rawMax
	default:
		seq = c.rawISS
	}
	if !c.oursAcked {
		seq = c.rawISS
	}
	seq += seqOff
	if flags.Has(packet.SYN) && !c.oursAcked {
		// The SYN ourstack takes in SYN-SENT fixes the raw peer's ISS;
		// keep the one the raw stream is numbered from.
		seq = c.rawISS
	}
	ack := c.rawAck // SND.UNA, as far as the raw peer has acknowledged
	if b[1]&4 != 0 || !c.rawAckSent {
		ack = c.oursMax // SND.NXT
	}
	ack += ackOff
	seg := packet.Segment{Seq: seq, Ack: ack, Flags: flags, Window: uint16(b[5]) << 6}
	if flags.Has(packet.SYN) {
		seg.Options = packet.Options{HasMSS: true, MSS: 1000, HasWindowScale: true, WindowScale: rawWindowScale, SACKPermitted: true}
	}
	if n := int(b[6]) * 4; n > 0 {
		start := int(int32(seq - c.rawISS - 1))
		if flags.Has(packet.SYN) {
			start++ // the data follows the SYN
		}
		seg.Payload = make([]byte, n)
		for i := range seg.Payload {
			seg.Payload[i] = rawByte(c.oursSide.Other(), start+i)
		}
	}
	return seg
}

// appCall is one application call on ourstack's connection.
func (c *segConn) appCall(b byte, log *[]string) {
	if c.conn == nil {
		if c.listener != nil {
			if conn, err := c.listener.Accept(); err == nil {
				c.conn = conn
				// No new incarnation once the application holds
				// this one.
				c.listener.Close()
				c.listener = nil
			}
		}
		if c.conn == nil {
			return
		}
	}
	switch b % 4 {
	case 0:
		n := min(int(b/4)*8+1, interopMaxWrite-c.oursWritten)
		if n <= 0 || c.oursFIN {
			return
		}
		k, _ := c.conn.Write(interopPatterns[c.oursSide][c.oursWritten : c.oursWritten+n])
		c.oursWritten += k
		*log = append(*log, "write "+strconv.Itoa(k))
	case 1:
		*log = append(*log, "closewrite")
		if c.conn.CloseWrite() == nil {
			c.oursFIN = true
		}
	case 2:
		*log = append(*log, "close")
		c.conn.Close()
		c.oursFIN = true
	default:
		*log = append(*log, "abort")
		c.conn.Abort()
	}
	c.drain()
}
