package judge

import (
	"bytes"
	"fmt"
)

// The stream rule: every byte one application wrote reaches the other
// exactly once and in order (RFC 9293 3.1: "reliable in-order delivery of a
// stream of bytes"), and EOF comes only after the writer closed and every
// byte was read. The fuzzers check it read by read, and so do the
// matrix's Pump and its large transfers (conformance.Transfer).

// ReadContinues checks that got, read after readN bytes of the stream,
// continues what writer wrote so far (stream[:written]); "" if it does.
func ReadContinues(stream []byte, written, readN int, got []byte, writer string) string {
	return ReadMatches(stream[min(readN, written):written], readN, got, writer)
}

// ReadMatches checks that got, read after readN bytes of the stream, is
// what writer wrote there: wrote is the stream from byte readN up to the
// last byte written so far, for a reader that keeps only the bytes not yet
// read (conformance.Transfer). "" if it is.
func ReadMatches(wrote []byte, readN int, got []byte, writer string) string {
	if len(got) > len(wrote) {
		return fmt.Sprintf("read bytes [%d, %d) but the %s wrote only %d", readN, readN+len(got), writer, readN+len(wrote))
	}
	if want := wrote[:len(got)]; !bytes.Equal(got, want) {
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
