package sendbuf

import "testing"

// BenchmarkSegment is one 1460-byte segment's life: written by the
// application, sliced for sending, acknowledged.
func BenchmarkSegment(b *testing.B) {
	buf := New(256 << 10)
	payload := make([]byte, 1460)
	buf.Write(payload[:1000])
	b.SetBytes(1460)
	b.ReportAllocs()
	for b.Loop() {
		buf.Write(payload)
		_ = buf.Slice(buf.Len()-1460, 1460)
		buf.Ack(1460)
	}
}
