# tcpbed: a TCP conformance testbed. See README.md.
GO        ?= go
FUZZTIME  ?= 30s
# every package that holds a fuzz target
FUZZPKGS  ?= $(sort $(dir $(shell grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./out/')))
# the conformance matrix: Ginkgo, its reports and failing cells' pcaps (git-ignored)
GINKGO    ?= $(GO) tool ginkgo
OUT       ?= out
BASELINE  ?= conformance/baseline.txt
# Every cell builds its own Net, so cells are independent and run in any
# order. Two processes per core: the cells with Linux in them wait on its
# real-time timers (two thirds of the matrix's time, little CPU), and every
# other cell first takes one of a core count of CPU slots
# (conformance/cpuslot_test.go), so those cells have the cores while Linux
# waits, one each. --randomize-all mixes the two kinds all along the run;
# --seed=1 keeps one order from run to run.
PROCS     ?= $(shell echo $$((2 * $$(nproc 2>/dev/null || echo 1))))
CONFORMANCE_FLAGS ?= --procs=$(PROCS) --randomize-all --seed=1 --timeout=10m
REPORT    ?= $(GO) run ./cmd/conformance-report

.PHONY: lwip test conformance conformance-strangers baseline fuzz fuzz-smoke fuzz-libfuzzer bench gate ladders flake-hunt

## lwip: the lwIP peer's adapter (peers/lwip/tcpbed-lwip), when Debian's liblwip-dev
## and a C compiler are here (scripts/install-lwip.sh installs them); without them
## it says so, and the matrix's lwIP cells are skipped with that reason
lwip:
	@if [ -f /usr/include/lwip/lwip/tcp.h ] && command -v $${CC:-cc} >/dev/null; then \
	  $(MAKE) --no-print-directory -C peers/lwip; \
	else \
	  echo "note: liblwip-dev or a C compiler missing (scripts/install-lwip.sh installs them): the lwIP cells are skipped"; \
	fi

## test: go vet plus every unit test (which replays every committed fuzz corpus)
test: lwip
	@command -v tshark >/dev/null || echo "note: tshark missing (apt-get install tshark): the tests that read captures back are skipped"
	@command -v rsvg-convert >/dev/null || echo "note: rsvg-convert missing (apt-get install librsvg2-bin): the ladder rendering test is skipped"
	$(GO) vet ./...
	$(GO) test ./...

## conformance: the scenario matrix (every scenario x pairing x family) with Ginkgo,
## every column but the strangers' (lwIP's included); reports in
## $(OUT)/conformance.{json,xml}, a failing cell's pcap in $(OUT)/pcap/
# The strangers are stacks nobody here wrote whose departures from the RFCs
# are not all registered yet (lneto): their cells fail wherever one shows,
# which is what those columns are for, and would turn every run red. They run
# on their own (make conformance-strangers) and in the gate, which judges
# every cell against the baseline. lwIP was one; every lwIP cell now passes
# or skips with its reason, so its columns run here. MATRIX_FILTER= (empty)
# runs every cell.
STRANGERS     ?= lneto
MATRIX_FILTER ?= !($(STRANGERS))
# Colour only on a terminal (a redirected log gets none); Ginkgo's one dot
# per passing cell is wrapped at 72 a line; the build says it is building.
conformance: lwip
	@mkdir -p $(OUT) && rm -rf $(OUT)/pcap $(OUT)/conformance.json $(OUT)/conformance.xml $(OUT)/.ginkgo-failed
	@echo "== building the conformance suite (gVisor's first build takes about 40 s; later ones are cached)"
	@$(GO) test -c -o /dev/null ./conformance
	@echo "== running the matrix: one dot a passing cell, a failing cell in full"
	@rc=0; color=$$([ -t 1 ] || echo --no-color); \
	{ TCPBED_OUT=$(OUT) $(GINKGO) $(CONFORMANCE_FLAGS) $(if $(MATRIX_FILTER),--label-filter='$(MATRIX_FILTER)') $$color --silence-skips --output-dir=$(OUT) \
	  --json-report=conformance.json --junit-report=conformance.xml \
	  ./conformance -- -test.run='^TestConformance$$' || touch $(OUT)/.ginkgo-failed; } \
	  | sed -u 's/\(•\)\{72\}/&\n/g'; \
	[ ! -e $(OUT)/.ginkgo-failed ] || rc=1; \
	echo; $(REPORT) summary $(OUT)/conformance.json || rc=1; \
	exit $$rc

## conformance-strangers: the strangers' columns alone, lneto's (reports in $(OUT)/strangers/);
## a failing cell is a departure of that stack not yet registered, or a harness bug
conformance-strangers:
	@$(MAKE) --no-print-directory conformance OUT=$(OUT)/strangers MATRIX_FILTER='$(STRANGERS)'

## baseline: rewrite $(BASELINE) from the last matrix report ($(OUT)/conformance.json):
## after make gate, which runs every cell (make conformance leaves the strangers out);
## it refuses to record a regression unless ACCEPT_REGRESSIONS=1
baseline:
	$(REPORT) update-baseline $(if $(ACCEPT_REGRESSIONS),-accept-regressions) -baseline $(BASELINE) $(OUT)/conformance.json

## flake-hunt: the whole matrix RUNS times back to back (default 30), then
## every cell whose verdict changed; reports in $(OUT)/flakes/
RUNS ?= 30
flake-hunt:
	@rm -rf $(OUT)/flakes && mkdir -p $(OUT)/flakes; \
	for i in $$(seq 1 $(RUNS)); do \
	  echo "== flake hunt: run $$i of $(RUNS)"; \
	  TCPBED_OUT=$(OUT)/flakes/$$i $(GINKGO) $(CONFORMANCE_FLAGS) --no-color --silence-skips --output-dir=$(OUT)/flakes \
	    --json-report=run$$i.json ./conformance -- -test.run='^TestConformance$$' > $(OUT)/flakes/run$$i.log 2>&1; \
	done; \
	$(REPORT) flakes $$(for i in $$(seq 1 $(RUNS)); do echo $(OUT)/flakes/run$$i.json; done)

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

## fuzz-libfuzzer: every fuzz target built as ClusterFuzzLite and OSS-Fuzz build it
## (.clusterfuzzlite/build.sh, run without Docker), then each libFuzzer binary run
## LIBFUZZER_TIME seconds (default 60) on its seed corpus; fails on a build failure or
## a crash. Binaries, logs and crashing inputs in $(OUT)/libfuzzer/; LIBFUZZER_TARGETS
## runs some only. scripts/install-libfuzzer.sh installs clang and go-118-fuzz-build.
LIBFUZZER_TIME ?= 60
fuzz-libfuzzer:
	LIBFUZZER_TIME=$(LIBFUZZER_TIME) scripts/fuzz-libfuzzer.sh $(OUT)/libfuzzer $(LIBFUZZER_TARGETS)

## bench: benchmarks as ratios against gVisor<->gVisor in the harness, gVisor outside it and Linux loopback,
## the matrix's wall time and FuzzInterop's rate under go test -fuzz, each judged against its target
# Throughput and connection rate run at each GOMAXPROCS of BENCHCPU, and the
# report takes every pairing and anchor at its best (bench.Figures.Best):
# gVisor on its own does twice as well per CPU-second at 1 as at 2 on a
# 2-core machine, and an anchor measured at a setting that handicaps it
# flatters everything set against it. The other benchmarks measure virtual
# time or memory, which GOMAXPROCS does not change. Those two run five
# times at each setting (BENCHCOUNT overrides) and the report takes the
# median: a single run on this shared 2-core machine moved by a third from
# one make bench to the next, enough to turn a verdict near 1x either way.
# FuzzInterop's rate is the fuzzer's own (go test -fuzz for FUZZRATETIME,
# its coverage instrumentation and mutator included, which
# BenchmarkInteropSeeds's programs per core leave out), with no minimizing
# of new inputs: the engine counts no program it runs to minimize one, and
# while both workers minimized, its count stood still for 13 s of a 30 s run.
FUZZRATETIME ?= 30s
BENCHCPU ?= $(shell n=$$(nproc 2>/dev/null || echo 1); if [ $$n -gt 1 ]; then echo 1,$$n; else echo 1; fi)
PERPROCS  = ^Benchmark(Bulk|ConnRate)$$
bench:
	@mkdir -p $(OUT)/bench && rm -f $(OUT)/bench/bench.txt $(OUT)/bench/conformance.json $(OUT)/bench/fuzz.txt; rc=0; \
	echo "== bench 1/4: go test -bench ./bench ./fuzz (BENCHSIZE=$${BENCHSIZE:-256MiB}, BENCHCONNS=$${BENCHCONNS:-10000}, runs: bulk and connections $(or $(BENCHCOUNT),5) at each GOMAXPROCS of $(BENCHCPU), parse $(or $(BENCHCOUNT),5), the others $(or $(BENCHCOUNT),1); BENCHCOUNT sets them all); raw output in $(OUT)/bench/bench.txt"; \
	$(GO) test -run='^$$' -bench='$(PERPROCS)' -cpu=$(BENCHCPU) -benchtime=1x -count=$(or $(BENCHCOUNT),5) -timeout=60m ./bench | tee $(OUT)/bench/bench.txt; \
	$(GO) test -run='^$$' -bench=. -skip='$(PERPROCS)' -benchtime=1x -count=$(or $(BENCHCOUNT),1) -timeout=60m ./bench | tee -a $(OUT)/bench/bench.txt; \
	$(GO) test -run='^$$' -bench='^BenchmarkParseSegment' -count=$(or $(BENCHCOUNT),5) ./fuzz | tee -a $(OUT)/bench/bench.txt; \
	if grep -q '^FAIL' $(OUT)/bench/bench.txt; then rc=1; fi; \
	echo "== bench 2/4: the conformance matrix once ($(GINKGO) $(CONFORMANCE_FLAGS)), for its wall time; log in $(OUT)/bench/conformance.log"; \
	TCPBED_OUT=$(OUT)/bench $(GINKGO) $(CONFORMANCE_FLAGS) --no-color --output-dir=$(OUT)/bench --json-report=conformance.json \
	  ./conformance -- -test.run='^TestConformance$$' > $(OUT)/bench/conformance.log 2>&1 \
	  || echo "(the matrix has failing cells; make gate judges them, its time counts here)"; \
	echo "== bench 3/4: FuzzInterop under go test -fuzz for $(FUZZRATETIME), for its rate; output in $(OUT)/bench/fuzz.txt"; \
	$(GO) test -run='^$$' -fuzz='^FuzzInterop$$' -fuzztime=$(FUZZRATETIME) -fuzzminimizetime=0s ./fuzz > $(OUT)/bench/fuzz.txt 2>&1 || rc=1; \
	echo "== bench 4/4: ratios to gvisor<->gvisor, gvisor-raw and linux-loopback, and the harness's cost (benchstat: go tool benchstat -col /pair $(OUT)/bench/bench.txt compares pairings; go tool benchstat old.txt $(OUT)/bench/bench.txt compares runs)"; \
	$(GO) run ./cmd/benchreport -conformance $(OUT)/bench/conformance.json -fuzz $(OUT)/bench/fuzz.txt $(OUT)/bench/bench.txt || rc=1; \
	exit $$rc

## gate: conformance matrix compared with the baseline + fuzz corpus replay + bench smoke
gate:
	@matrix=ok; cmp=ok; corpus=ok; bench=ok; \
	echo "== gate 1/4: conformance matrix"; \
	$(MAKE) --no-print-directory conformance MATRIX_FILTER= || matrix="has failing cells (the baseline decides)"; \
	echo "== gate 2/4: matrix against $(BASELINE)"; \
	$(REPORT) gate -baseline $(BASELINE) $(OUT)/conformance.json || cmp=FAIL; \
	echo "== gate 3/4: fuzz corpora replay"; \
	$(GO) test -run='^Fuzz' ./... || corpus=FAIL; \
	echo "== gate 4/4: benchmarks, one iteration each at smoke size (BENCHSIZE=16MiB BENCHCONNS=500)"; \
	BENCHSIZE=16MiB BENCHCONNS=500 $(GO) test -run=NONE -bench=. -benchtime=1x ./... || bench=FAIL; \
	echo; echo "gate: matrix $$matrix; baseline $$cmp; fuzz corpora $$corpus; benchmarks $$bench"; \
	if [ $$cmp = ok ] && [ $$corpus = ok ] && [ $$bench = ok ]; then echo "gate: PASS"; else echo "gate: FAIL"; exit 1; fi

## ladders: redraw the README tour's ladder diagrams (ourstack dialing gVisor)
LADDERS ?= handshake half-close simultaneous-close time-wait
ladders:
	@mkdir -p docs/ladders
	@for s in $(LADDERS); do \
	  $(GO) run ./cmd/tcpbed run $$s --client ours --server gvisor --ladder docs/ladders/$$s.svg || exit 1; \
	done

## mutants: each ourstack bug in mutants/*.patch applied to a scratch copy, then the
## conformance matrix alone (no unit tests; Linux cells filtered out): which cells
## caught it, and the kill rate; table in $(OUT)/mutants/report.txt, exit 1 below 95%
## (MUTANTS=mutants/05-delayed-ack-600ms.patch tries some only)
.PHONY: mutants
mutants:
	$(GO) run ./cmd/mutants -out $(OUT)/mutants $(MUTANTS)
