// Package judge holds the rules that judge a run: plain functions over a
// harness trace, with no Ginkgo and no scenario environment, so that the
// conformance matrix (after every cell and inside scenarios' own checks)
// and the fuzz targets apply the same rules, written once.
package judge
