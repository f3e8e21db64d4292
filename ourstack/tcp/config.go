package tcp

import "time"

// Config are a connection's tunables. Zero fields take the defaults named.
type Config struct {
	MSS               uint16        // MSS we advertise; default 1460
	SendBuffer        int           // bytes, fixed; 0 autotunes from 256 KiB up to MaxAutoSendBuffer as the congestion window grows (sendbuf_tune.go)
	ReceiveBuffer     int           // bytes; default 1 MiB (DefaultReceiveBuffer says why); sets the window scale we offer
	MSL               time.Duration // default 30 s; TIME-WAIT lasts 2*MSL
	InitialRTO        time.Duration // default 1 s (RFC 6298 2.1)
	MinRTO            time.Duration // default 1 s (RFC 6298 2.4)
	MaxRTO            time.Duration // default 60 s (RFC 6298 2.5 allows a cap >= 60 s)
	SynRetries        int           // SYN / SYN-ACK retransmissions before giving up; default 7 (RFC 9293 MUST-23)
	DataRetries       int           // data retransmissions before aborting; default 12
	DelayedACK        time.Duration // longest ACK delay; default 200 ms (RFC 9293 3.8.6.3: < 0.5 s); capped by SRTT (floor 40 ms); negative disables
	NoDelay           bool          // disable Nagle (RFC 9293 3.7.4)
	NoWindowScale     bool          // do not offer window scale
	NoSACK            bool          // do not offer SACK-permitted
	NoTimestamps      bool          // do not offer timestamps
	KeepAlive         bool          // off by default (RFC 1122 4.2.3.6)
	KeepIdle          time.Duration // default 2 h
	KeepInterval      time.Duration // default 75 s
	KeepCount         int           // default 9
	Congestion        string        // a congestion.New name: "newreno" (default) or "cubic" (RFC 9438); an unknown name falls back to newreno
	ChallengeACKLimit int           // challenge ACKs per second (RFC 5961 7); default 10
}

// The defaults Config's zero fields take.
const (
	DefaultMSS        = 1460
	DefaultSendBuffer = 256 << 10
	// DefaultReceiveBuffer: the window must exceed the path's
	// bandwidth-delay product (RFC 7323 1.1), and by more than the data
	// held above a hole: during loss recovery the window's left edge stays
	// at the hole while the out-of-order data fills the buffer, so a
	// buffer of one BDP caps the sender's flight below its congestion
	// window. At 256 KiB, 100 Mbit/s over 20 ms (250 KB) was capped so, and
	// ourstack's receiver cost its sender 6% (NewReno) and 4% (CUBIC) of a
	// lossy transfer's time against gVisor's 1 MiB (its
	// DefaultReceiveBufferSize; Linux autotunes up to 6 MiB). The ring
	// grows on demand, so an idle connection holds none of it.
	DefaultReceiveBuffer = 1 << 20
	DefaultMSL           = 30 * time.Second
	DefaultInitialRTO    = time.Second
	// DefaultMinRTO: RFC 6298 2.4 ("if it is less than 1 second, then the
	// RTO SHOULD be rounded up to 1 second"). A lower floor (Linux's and
	// gVisor's 200 ms) fires before a receiver's delayed ACK, which RFC
	// 9293 3.8.6.3 lets wait up to 500 ms (lwIP's waits up to 250 ms), and
	// resends data that arrived; tail loss is TLP's job (loss_probe.go),
	// not a short timer's.
	DefaultMinRTO = time.Second
	DefaultMaxRTO = 60 * time.Second
	// DefaultSynRetries: RFC 9293 3.8.3 (MUST-23, from RFC 1122 4.2.3.5):
	// "R2 for a SYN segment MUST be set large enough to provide
	// retransmission of the segment for at least 3 minutes". From a 1 s
	// initial RTO, doubling up to the 60 s MaxRTO, seven retransmissions
	// give up 183 s after the first SYN (six would at 123 s).
	DefaultSynRetries        = 7
	DefaultDataRetries       = 12
	DefaultDelayedACK        = 200 * time.Millisecond
	DefaultKeepIdle          = 2 * time.Hour
	DefaultKeepInterval      = 75 * time.Second
	DefaultKeepCount         = 9
	DefaultCongestion        = "newreno"
	DefaultChallengeACKLimit = 10
)

// minMSS is the smallest MSS we accept from a peer or a Config: below it the
// header overhead swamps the data (Linux's TCP_MIN_MSS is 88; RFC 9293 3.7.1
// only sets the default of 536).
const minMSS = 88

// WithDefaults returns c with every zero (or unusable) field replaced by its
// default.
func (c Config) WithDefaults() Config {
	if c.MSS == 0 {
		c.MSS = DefaultMSS
	}
	c.MSS = max(c.MSS, minMSS)
	orDefault(&c.SendBuffer, DefaultSendBuffer)
	orDefault(&c.ReceiveBuffer, DefaultReceiveBuffer)
	// A window scale of 14 shifts at most 2^30 bytes (RFC 7323 2.3).
	c.ReceiveBuffer = min(c.ReceiveBuffer, 1<<30)
	orDefault(&c.MSL, DefaultMSL)
	orDefault(&c.InitialRTO, DefaultInitialRTO)
	orDefault(&c.MinRTO, DefaultMinRTO)
	orDefault(&c.MaxRTO, DefaultMaxRTO)
	orDefault(&c.SynRetries, DefaultSynRetries)
	orDefault(&c.DataRetries, DefaultDataRetries)
	if c.DelayedACK == 0 { // negative disables delayed ACKs
		c.DelayedACK = DefaultDelayedACK
	}
	orDefault(&c.KeepIdle, DefaultKeepIdle)
	orDefault(&c.KeepInterval, DefaultKeepInterval)
	orDefault(&c.KeepCount, DefaultKeepCount)
	if c.Congestion == "" {
		c.Congestion = DefaultCongestion
	}
	orDefault(&c.ChallengeACKLimit, DefaultChallengeACKLimit)
	return c
}

// orDefault replaces a zero or negative setting with its default.
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
