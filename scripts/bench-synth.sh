#!/usr/bin/env bash
# Times `npx cdktf synth` and `npx cdk synth` as a user runs them: cold (an
# empty Go build cache, so the app and its jsii bindings compile first) and
# warm (three runs, each printed). TOOLS=cdktf times one tool; COLD=0 skips
# the cold runs (AWS CDK's cold build takes minutes on a small machine).
# Prints one line per run.
set -euo pipefail
cd "$(dirname "$0")/.."
# The same settings as internal/toolenv (checked by its tests).
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export CHECKPOINT_DISABLE=1 CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true CDKTF_DISABLE_TELEMETRY=true
make -s build >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() { # label, command...
	local label=$1; shift
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
	t1=$(date +%s.%N)
	printf '%-22s %6.1f s\n' "$label" "$(awk "BEGIN{print $t1 - $t0}")"
}

synth_cdktf() { npx --no-install cdktf synth --output "$out/cdktf.out"; }
synth_cdk() { npx --no-install cdk synth --quiet --output "$out/cdk.out"; }

for tool in ${TOOLS:-cdktf cdk}; do
	if [ "${COLD:-1}" != 0 ]; then
		cache=$(mktemp -d)
		GOCACHE=$cache run "$tool synth (cold)" "synth_$tool"
		rm -rf "$cache"
	fi
	for i in 1 2 3; do
		run "$tool synth (warm $i)" "synth_$tool"
	done
done
