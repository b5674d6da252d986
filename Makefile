# Fast-Track. `make run` starts the whole system on this machine; `make test` runs every test.
# Both install what is missing first (scripts/deps.sh).

GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_FLAGS    ?= -race -count=1 -timeout 30m
ADDR          ?= 127.0.0.1:8080
LAMBDA_OUT    := bin/lambda/bootstrap

.PHONY: run test deps lint unit bench build fuzz clean

## run: install what is missing, start DynamoDB Local, the engine and the API, seed demo data.
## The binary is built, then run in make's place, so that Ctrl-C stops it without a make error.
run: deps
	$(GO) build -o bin/fasttrack ./cmd/fasttrack
	exec bin/fasttrack local --addr $(ADDR)

## test: install what is missing, check formatting and lint, run every test against DynamoDB Local.
test: deps lint
	$(GO) run ./internal/dynamolocal/withdynamodb -- $(GO) test $(TEST_FLAGS) ./...

deps:
	@scripts/deps.sh base

## lint: gofmt, go vet, staticcheck, and go.mod/go.sum tidy.
lint:
	@unformatted=$$(gofmt -s -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt -s would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@cp go.mod /tmp/fasttrack-go.mod.bak; cp go.sum /tmp/fasttrack-go.sum.bak; \
	  $(GO) mod tidy; \
	  if ! git diff --quiet -- go.mod go.sum; then echo "go mod tidy changes go.mod/go.sum:"; git diff -- go.mod go.sum; \
	    cp /tmp/fasttrack-go.mod.bak go.mod; cp /tmp/fasttrack-go.sum.bak go.sum; exit 1; fi

## unit: the tests only, without lint (quicker while working).
unit:
	$(GO) run ./internal/dynamolocal/withdynamodb -- $(GO) test -count=1 ./...

## bench: every Go benchmark.
bench: deps
	$(GO) run ./internal/dynamolocal/withdynamodb -- $(GO) test -run '^$$' -bench . -benchmem ./...

## build: the single Lambda binary (arm64, provided.al2023) that every function uses.
build:
	mkdir -p $(dir $(LAMBDA_OUT))
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" \
	  -o $(LAMBDA_OUT) ./functions/bootstrap

clean:
	rm -rf bin cdk.out

## conformance-peer: run every engine conformance case on the peer (aws-local-stepfunctions) and
## report which agree with the expectations; not part of `make test`.
.PHONY: conformance-peer
conformance-peer:
	@scripts/peer/install.sh
	.cache/peer/node_modules/.bin/node scripts/peer/conformance.mjs

# ---- AWS deployment with the CDK (infra/, cdk.json) -------------------------------------------
# The CDK CLI comes from .cache/cdk (scripts/deps.sh cdk); it runs the Go app through cdk.json.
# STAGE=dev|prod picks the stage; CONSOLE_ORIGIN sets the one origin CORS allows (prod needs it).
# `make synth` needs no AWS account: the stacks are environment-agnostic unless the CLI finds
# credentials. The variables below keep the CLI off the network: no notices, no version check,
# no telemetry, no instance-metadata credential lookup.
STAGE          ?= dev
CONSOLE_ORIGIN ?=
CDK            := .cache/cdk/node_modules/.bin/cdk
CDK_CONTEXT    := -c stage=$(STAGE) $(if $(CONSOLE_ORIGIN),-c consoleOrigin=$(CONSOLE_ORIGIN))
CDK_ENV        := CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true
CDK_OFFLINE    := $(CDK_ENV) AWS_EC2_METADATA_DISABLED=true

.PHONY: deps-cdk synth deploy diff destroy cdk-bootstrap

deps-cdk:
	@scripts/deps.sh cdk

## synth: the CloudFormation templates of STAGE into cdk.out/, offline, checked by cdk-nag.
synth: deps-cdk build
	$(CDK_OFFLINE) $(CDK) synth $(CDK_CONTEXT) --no-notices --quiet
	@ls cdk.out/*.template.json

## diff: what `make deploy` would change in the account of the current AWS profile.
diff: deps-cdk build
	$(CDK_ENV) $(CDK) diff $(CDK_CONTEXT) --no-notices --all

## deploy: both stacks of STAGE to the account and region of the current AWS profile.
deploy: deps-cdk build
	$(CDK_ENV) $(CDK) deploy $(CDK_CONTEXT) --no-notices --all --require-approval broadening

## cdk-bootstrap: once per account and region, the CDK's staging bucket and deployment roles.
cdk-bootstrap: deps-cdk
	$(CDK_ENV) $(CDK) bootstrap $(CDK_CONTEXT) --no-notices

## destroy: delete STAGE's stacks (prod keeps its tables, key and user pool: they are retained).
destroy: deps-cdk
	$(CDK_ENV) $(CDK) destroy $(CDK_CONTEXT) --no-notices --all
# ---- end of the AWS deployment block ---------------------------------------------------------

# ---- fuzzing ----------------------------------------------------------------------------------
FUZZTIME ?= 60s

## fuzz: every Go fuzz target for FUZZTIME each (crashers land in the package's testdata/fuzz).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME) ./workflows/engine/jsonpath
	$(GO) test -run '^$$' -fuzz '^FuzzIntrinsicParse$$' -fuzztime $(FUZZTIME) ./workflows/engine/intrinsic
	$(GO) test -run '^$$' -fuzz '^FuzzTemplate$$' -fuzztime $(FUZZTIME) ./workflows/engine/template
	$(GO) test -run '^$$' -fuzz '^FuzzChoice$$' -fuzztime $(FUZZTIME) ./workflows/engine/choice
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./workflows/engine/asl
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./workflows/engine/jsonvalue
	$(GO) test -run '^$$' -fuzz '^FuzzEncodeString$$' -fuzztime $(FUZZTIME) ./workflows/engine/jsonvalue

# ---- engine speed (workflows/engine/bench, scripts/peer-bench) --------------------------------
# The peer (aws-local-stepfunctions) and a Node 22 binary for it are installed into
# .cache/peer-bench. BENCH_ENGINE_FLAGS passes flags to the command, e.g.
# BENCH_ENGINE_FLAGS='-concurrency 1 -series 0'; `go run ./workflows/engine/bench/cmd/benchengine -h`
# lists them.
BENCH_ENGINE_FLAGS ?=

.PHONY: bench-engine

## bench-engine: the embedded engine and its peer on the same state machines, one after the other:
## executions/s, p50/p99 latency, peak RSS, the memory series; the last line is the ratio.
bench-engine: deps
	@scripts/peer-bench/install.sh
	$(GO) run ./workflows/engine/bench/cmd/benchengine $(BENCH_ENGINE_FLAGS)
# ---- end of the engine speed block ------------------------------------------------------------
