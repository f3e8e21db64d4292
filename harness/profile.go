package harness

import (
	"fmt"
	"time"
)

// Profile is a named path between the two ends: the same LinkConfig each
// way. Rules about time only show on a path long enough for them (a
// delayed-ACK timer of 600 ms passes everything on a 1 ms LAN), so the
// timing scenarios run on each.
type Profile struct {
	// Name is the profile's label ("wan").
	Name string
	// Link is each direction of the wire.
	Link LinkConfig
}

func (p Profile) String() string {
	s := fmt.Sprintf("%s (%v one way", p.Name, p.Link.Delay)
	if p.Link.Jitter > 0 {
		s += fmt.Sprintf(" + up to %v jitter", p.Link.Jitter)
	}
	if p.Link.Bandwidth > 0 {
		s += fmt.Sprintf(", %d Mbit/s", p.Link.Bandwidth/1_000_000)
	}
	if p.Link.QueueLimit > 0 {
		s += fmt.Sprintf(", a queue of %d packets", p.Link.QueueLimit)
	}
	return s + ")"
}

// The named paths.
var (
	// LAN is DefaultLink: 1 ms one way, no bandwidth limit.
	LAN = Profile{Name: "lan", Link: DefaultLink}
	// WAN is a continental path: 40 ms one way at 50 Mbit/s.
	WAN = Profile{Name: "wan", Link: LinkConfig{Delay: 40 * time.Millisecond, Bandwidth: 50_000_000}}
	// Satellite is a geostationary hop: 300 ms one way at 10 Mbit/s.
	Satellite = Profile{Name: "satellite", Link: LinkConfig{Delay: 300 * time.Millisecond, Bandwidth: 10_000_000}}
	// Cellular is a mobile link: 50 ms one way plus up to 30 ms of jitter,
	// 20 Mbit/s, and a shallow queue that drops at the tail when a burst
	// overruns it.
	Cellular = Profile{Name: "cellular", Link: LinkConfig{
		Delay: 50 * time.Millisecond, Jitter: 30 * time.Millisecond, Bandwidth: 20_000_000, QueueLimit: 64,
	}}
)

// Profiles are the named paths, shortest first.
func Profiles() []Profile { return []Profile{LAN, WAN, Satellite, Cellular} }
