// Package report reads the Ginkgo report of the conformance matrix, prints
// it as a table of scenario by pairing, and compares it with the committed
// baseline: the regression gate.
//
// A cell is one scenario in one pairing. The suites name each cell's spec
// "<scenario> <client>-><server>" (CellText) and attach a CellInfo report
// entry with what a reader needs to act on a failure: the replay command and
// the pcap's path. This package imports only Ginkgo's types, so reading a
// report does not build the stacks.
package report
