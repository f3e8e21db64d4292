package catalogue

import (
	"fmt"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"
)

var _ = Register(
	// echo: request and response, three times each way. Expected: the bytes
	// arrive equal, every segment starts where the last ended, and pure ACKs
	// consume no sequence numbers.
	Scenario{
		Name:    "echo",
		Section: "data",
		Summary: "request / response three times each way: bytes arrive equal, sequence numbers contiguous",
		RFCs:    []string{"RFC 9293 3.4"},
		Run:     runEcho,
	},
)

func runEcho(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	for i := range 3 {
		req := []byte(fmt.Sprintf("request %d from the client", i))
		e.WriteAll(c, req)
		e.ExpectRead(s, req)
		resp := []byte(fmt.Sprintf("response %d from the server, a little longer", i))
		e.WriteAll(s, resp)
		e.ExpectRead(c, resp)
	}
	// Let delayed ACKs (at most 0.5 s, RFC 9293 3.8.6.3) go out.
	e.Advance(time.Second)
	e.ExpectCleanStreams(mark)

	// Each request and response crossed once, in one segment each way.
	var segs []Seg
	for range 3 {
		segs = append(segs, C2S(FlagsInclude(ACK), FlagsExclude(SYN|FIN|RST)), S2C(FlagsInclude(ACK), FlagsExclude(SYN|FIN|RST)))
	}
	e.ExpectInOrder(mark, segs...)
	return nil
}
