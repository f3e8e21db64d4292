# tcpbed: a TCP conformance testbed. See README.md.
GO        ?= go
FUZZTIME  ?= 30s
# every package that holds a fuzz target
FUZZPKGS  ?= $(sort $(dir $(shell grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./out/')))

.PHONY: test conformance fuzz fuzz-smoke bench gate

## test: go vet plus every unit test (which replays every committed fuzz corpus)
test:
	$(GO) vet ./...
	$(GO) test ./...

## conformance: the whole scenario matrix against the embedded gVisor peer
conformance:
	@echo "conformance: not built yet (issue 6)"; exit 1

## fuzz: every fuzz target for FUZZTIME each (FUZZTIME=2m make fuzz)
fuzz:
	@set -e; for pkg in $(FUZZPKGS); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== fuzz $$pkg $$t for $(FUZZTIME)"; \
	    $(GO) test -run=NONE -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

## fuzz-smoke: every fuzz target for 10 s, as CI runs them
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10s

## bench: benchmarks as ratios against gVisor<->gVisor
bench:
	@echo "bench: not built yet (issue 8)"; exit 1

## gate: conformance + corpus replay + bench smoke, compared with the baseline
gate:
	@echo "gate: not built yet (issue 6)"; exit 1
