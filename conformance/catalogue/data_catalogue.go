package catalogue

import (
	. "github.com/tcpbed/tcpbed/conformance"
)

// The data section of the catalogue, in SCENARIOS.md's order (after echo,
// which data.go registers), each variant beside the scenario it varies;
// and loss-recovery, the loss section's link-model run. Each scenario's
// definition and Run live in the file of its concept.
var _ = Register(
	bulkTransfer,
	bulkTransferBothWays,
	smallMSS,
	bulkTransferLossy,
	rtoBackoff,
	fastRetransmit,
	fastRetransmitNoSACK,
	outOfOrder,
	outOfOrderNoSACK,
	duplicatesScenario,
	zeroWindow,
	zeroWindowUpdateLost,
	windowScaling,
	swsAvoidance,
	delayedACK,
	nagle,
	lossRecovery,
)
