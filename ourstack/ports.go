package ourstack

import (
	"net/netip"
)

// The ephemeral port range: IANA's dynamic ports (RFC 6335 section 6), which
// RFC 6056 section 3.2 lets a stack use as its whole range.
const (
	ephemeralFirst = 49152
	ephemeralCount = 65536 - ephemeralFirst
)

// portPicker chooses ephemeral ports with RFC 6056 section 3.3.3's
// "Simple Hash-Based Port Selection Algorithm" (Algorithm 3):
//
//	offset = F(local_IP, remote_IP, remote_port, secret_key)
//	port = min_ephemeral + (next_ephemeral + offset) % num_ephemeral
//
// Each destination walks the range from its own secret starting point, so an
// off-path attacker cannot guess the port of a connection to a given peer,
// while successive connections to one peer still cycle through the whole
// range before a port (and its four-tuple) comes round again.
type portPicker struct {
	key  sipKey // secret_key, drawn from Options.Rand at New
	next uint16 // next_ephemeral, random at New, advanced per attempt
}

// pick returns a port for a connection from local to remote for which
// inUse(port) is false; ok is false when every port is taken.
func (p *portPicker) pick(local netip.Addr, remote netip.AddrPort, inUse func(port uint16) bool) (port uint16, ok bool) {
	var h sipHasher
	la, ra := local.As16(), remote.Addr().As16()
	h.write(la[:])
	h.write(ra[:])
	h.writeUint16(remote.Port())
	offset := uint32(h.sum(&p.key))
	for range ephemeralCount {
		port = uint16(ephemeralFirst + (uint32(p.next)+offset)%ephemeralCount)
		p.next++
		if !inUse(port) {
			return port, true
		}
	}
	return 0, false
}
