# tcpbed: a TCP conformance testbed. See README.md.
GO        ?= go
FUZZTIME  ?= 30s
PKGS      := ./...

.PHONY: test conformance fuzz fuzz-smoke bench gate

## test: go vet plus every unit test, and a replay of every committed fuzz corpus
test:
	$(GO) vet $(PKGS)
	$(GO) test $(PKGS)

## conformance: the whole scenario matrix against the embedded gVisor peer
conformance:
	@echo "conformance: not built yet (issue 6)"; exit 1

## fuzz: every fuzz target for FUZZTIME each
fuzz:
	@echo "fuzz: not built yet (issue 2)"; exit 1

## bench: benchmarks as ratios against gVisor<->gVisor
bench:
	@echo "bench: not built yet (issue 8)"; exit 1

## gate: conformance + corpus replay + bench smoke, compared with the baseline
gate:
	@echo "gate: not built yet (issue 6)"; exit 1
