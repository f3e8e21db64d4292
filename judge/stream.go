package judge

import (
	"bytes"
	"fmt"
)

// The stream rule: every byte one application wrote reaches the other
// exactly once and in order (RFC 9293 3.1: "reliable in-order delivery of a
// stream of bytes"), and EOF comes only after the writer closed and every
// byte was read. The fuzzers check it read by read; the matrix's Pump does
// too, and its large transfers (conformance.Transfer) compare digests.

// ReadContinues checks that got, read after readN bytes of the stream,
// continues what writer wrote so far (stream[:written]); "" if it does.
func ReadContinues(stream []byte, written, readN int, got []byte, writer string) string {
	if readN+len(got) > written {
		return fmt.Sprintf("read bytes [%d, %d) but the %s wrote only %d", readN, readN+len(got), writer, written)
	}
	if want := stream[readN : readN+len(got)]; !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		return fmt.Sprintf("byte %d of the stream read is not the byte the %s wrote there (read %#x, wrote %#x)", readN+i, writer, got[i], want[i])
	}
	return ""
}

// EOFAfterAll checks an EOF read after readN bytes: the writer closed its
// sending side and every byte it wrote was read; "" if so.
func EOFAfterAll(readN, written int, writerClosed bool, writer string) string {
	if !writerClosed {
		return fmt.Sprintf("Read returned EOF but the %s never closed its sending side", writer)
	}
	if readN != written {
		return fmt.Sprintf("Read returned EOF after %d bytes; the %s wrote %d", readN, writer, written)
	}
	return ""
}
