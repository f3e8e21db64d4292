package fuzz

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness/packet"
)

// FuzzSegmentsIntoConn drives an ourstack connection, through the Stack and
// the harness with the raw peer at the other end, into one of nine states
// (SYN-SENT, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT,
// CLOSING, LAST-ACK, TIME-WAIT), then feeds it segments built from the
// fuzz bytes and encoded with ourstack/wire: sequence numbers near RCV.NXT,
// near the right edge of the window ourstack advertised, or near what the
// raw peer sent last; acknowledgment numbers near SND.UNA or SND.NXT; any
// flags; payload from the raw peer's stream. Application calls and time
// passing come in between. The invariants are in
// segments_into_conn_check.go; the states must follow RFC 9293's
// diagram (judge.StatePaths). The body is fuzzSegmentsIntoConn
// (segments_into_conn.go).
//
// ourstack/tcp's FuzzConnection does the same against a bare TCB, from
// three starting points, checking its variables; this one goes through the
// codec and the Stack's demultiplexer, starts from every state, and checks
// what shows on the wire and to the application.
//
//	go test -run=NONE -fuzz=FuzzSegmentsIntoConn -fuzztime=60s ./fuzz/
//
// The input: byte 0 picks the state (%9) and whether ourstack listens
// (/9%2); then steps, an op byte each (%6):
//
//	0-2 a segment: flags, bases (bits 0-1 seq: RCV.NXT, right edge, raw
//	    SND.MAX, raw ISS; bit 2 ack: SND.UNA or SND.NXT), seq offset
//	    (int16), ack offset (int8), window (<<6), payload length (*4)
//	3   time: n*10 ms, or to the next timer for 255
//	4   ourstack's application reads everything there is
//	5   ourstack's application: write n*8+1 bytes, CloseWrite, Close, Abort
func FuzzSegmentsIntoConn(f *testing.F) {
	for _, s := range segConnSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzSegmentsIntoConn(t, in)
	})
}

// segConnCorpus is the target's corpus directory. Only this file names the target: compile_native_go_fuzzer finds
// a target's file by searching its package for the name, and wants one file.
const segConnCorpus = "testdata/fuzz/FuzzSegmentsIntoConn"

// segConnSeeds start the target from every state: there alone, with an
// ACK and time, and with a burst of segments; and from three states with
// a full receive window.
func segConnSeeds() [][]byte {
	var seeds [][]byte
	for i := range segConnStates {
		seeds = append(seeds, []byte{byte(i)})
		seeds = append(seeds, []byte{byte(i + 9), 0, byte(packet.ACK), 0, 0, 0, 0, 64, 10, 4, 3, 20})
		// Data at RCV.NXT, a FIN at the right edge, a SYN in the window,
		// an RST at SND.NXT, time.
		seeds = append(seeds, []byte{byte(i), 0, byte(packet.ACK | packet.PSH), 0, 0, 0, 0, 64, 50,
			1, byte(packet.ACK | packet.FIN), 1, 0xff, 0xf0, 0, 64, 0,
			2, byte(packet.SYN), 0, 0, 10, 0, 64, 0,
			5, 0, 30, 4, 0, byte(packet.RST | packet.ACK), 4, 0, 0, 0, 0, 0, 3, 255})
	}
	// Fill the 4 KiB window at RCV.NXT without reading, then send data
	// that starts just inside the right edge and runs past it.
	fill := []byte{0}
	for range 4 {
		fill = append(fill, 0, byte(packet.ACK|packet.PSH), 0, 0, 0, 0, 64, 255)
	}
	fill = append(fill, 0, byte(packet.ACK|packet.PSH), 1, 0xff, 0xe8, 0, 64, 255, 4)
	for _, st := range []byte{2, 5, 4, 13} { // ESTABLISHED, CLOSE-WAIT, FIN-WAIT-2, ESTABLISHED listening
		seeds = append(seeds, append([]byte{st}, fill[1:]...))
	}
	return seeds
}
