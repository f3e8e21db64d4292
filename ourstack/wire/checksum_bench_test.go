package wire

import (
	"testing"

	gvchecksum "gvisor.dev/gvisor/pkg/tcpip/checksum"
)

var benchSink uint16

func BenchmarkChecksum1492(b *testing.B) {
	buf := make([]byte, 1492)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		benchSink = Checksum(buf, 0)
	}
}

func BenchmarkChecksum1492GVisor(b *testing.B) {
	buf := make([]byte, 1492)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		benchSink = gvchecksum.Checksum(buf, 0)
	}
}
