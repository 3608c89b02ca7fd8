# twinstack: the README's commands are `make demo` (the main job on the local
# cloud) and `make test` (what CI runs). Every target installs what it needs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# The settings that keep the toolchain CLIs quiet live in internal/toolenv:
# every command that starts a CLI (diff --synth, local up/down) sets them.
export TF_CLI_CONFIG_FILE := $(CURDIR)/.terraformrc

GO ?= go
BIN := $(CURDIR)/bin
# The Lambda Runtime Interface Emulator, built from source at a pinned commit.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
# Where Terraform finds the hashicorp/aws provider offline.
TF_PLUGINS ?= $(firstword $(wildcard /opt/tf-plugins /tf-plugins $(HOME)/tf-plugins))

.PHONY: all tools npm rie tfrc build lambda server test test-short synth demo bench bench-synth fmt vet clean

all: build

tools: npm rie tfrc

npm: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	# A go.mod of its own keeps `go ... ./...` out of the npm packages (aws-cdk
	# ships Go init templates that do not compile).
	echo 'module ignored' > node_modules/go.mod
	touch $@

rie: $(BIN)/aws-lambda-rie
$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

# A CLI configuration that installs hashicorp/* from the local mirror only.
tfrc: .terraformrc
.terraformrc:
	@test -n "$(TF_PLUGINS)" || { echo "no tf-plugins provider mirror found; set TF_PLUGINS"; exit 1; }
	printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n' "$(TF_PLUGINS)" > $@

# Artifacts both stacks ship: the server for each instance architecture and
# the Lambda zip (arm64), plus the Lambda built for this host as a bare
# bootstrap for the Lambda emulator (bin/aws-lambda-rie). File targets: a
# synth (cdktf.json and cdk.json run `make -s build` first) rebuilds only
# when a Go source changed.
GO_SOURCES := $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './cdk.out/*' -not -path './cdktf.out/*') go.mod go.sum
ARTIFACTS := build/server-linux-amd64 build/server-linux-arm64 build/lambda.zip build/lambda-local/bootstrap

build: $(ARTIFACTS)
server: build/server-linux-amd64 build/server-linux-arm64
lambda: build/lambda.zip build/lambda-local/bootstrap

build/server-linux-%: $(GO_SOURCES)
	@mkdir -p build
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags "-s -w" -o $@ ./cmd/twinstack

build/lambda.zip: $(GO_SOURCES)
	$(GO) run ./cmd/twinstack build-lambda -out $@

build/lambda-local/bootstrap: $(GO_SOURCES)
	$(GO) run ./cmd/twinstack build-lambda -goarch $$($(GO) env GOHOSTARCH) -out '' -bootstrap $@

# Both synths (npx cdktf synth, npx cdk synth --quiet), then the comparison.
synth: tools build
	$(GO) run ./cmd/twinstack diff --synth

test: tools build
	TWINSTACK_REQUIRE_TOOLS=1 $(GO) test -count=1 -timeout 25m ./...

test-short:
	$(GO) test -short ./...

# Synth wall times as a user sees them (cold and warm); COLD=0 skips cold.
bench-synth: tools build
	./scripts/bench-synth.sh

# The Go benchmarks (synth in-process, diff, ingest, relay, bench/report).
bench:
	$(GO) test -short -run '^$$' -bench . -benchmem -benchtime 1x ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf build cdk.out cdktf.out .twinstack

# The main job: the whole system on the local cloud, end to end
# (`twinstack demo`: local up, verify, invoke, consistency, diff, bench,
# local down, then a summary; see the README).
demo: tools build $(BIN)/twinstack
	$(BIN)/twinstack demo

$(BIN)/twinstack: $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/twinstack
