package conformance_test

import (
	"testing"

	"github.com/tcpbed/tcpbed/conformance"
)

// TestChecksMatchesWholeSectionNumbers: the RFC filter of tcpbed list
// matches an RFC, a section or a subsection, never a longer number that
// merely starts with the same digits.
func TestChecksMatchesWholeSectionNumbers(t *testing.T) {
	s := conformance.Scenario{RFCs: []string{"RFC 9293 3.10.7.4", "RFC 7323 2.3"}}
	for query, want := range map[string]bool{
		"9293":              true,
		"RFC 9293":          true,
		"9293 3.10":         true,
		" RFC 9293 3.10.7 ": true,
		"9293 3.10.7.4":     true,
		"9293 3.1":          false,
		"9293 3.10.7.41":    false,
		"929":               false,
		"7323 2":            true,
		"7323 2.31":         false,
		"5681":              false,
	} {
		if got := s.Checks(query); got != want {
			t.Errorf("Checks(%q) on %v = %v, want %v", query, s.RFCs, got, want)
		}
	}
}
