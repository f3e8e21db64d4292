// Package catalogue is tcpbed's scenarios: each file holds one section's
// scenarios on one topic, named after the section (handshake_*.go,
// timewait_*.go, loss_*.go; a test holds the rule), and catalogue.go lists
// them all in the order a reader should meet them. A scenario reads as a
// short story written in conformance's vocabulary, which this package
// dot-imports as Ginkgo suites dot-import Ginkgo and Gomega: the scenario
// is the subject, the library its language.
package catalogue
