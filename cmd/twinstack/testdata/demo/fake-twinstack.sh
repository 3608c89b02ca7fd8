#!/bin/sh
# A stand-in for the twinstack binary in `twinstack demo` scripts: it logs
# its arguments to calls.log and answers like the real subcommand. Files in
# the working directory steer it:
#   fail-<cmd>[-<sub>]  exit with the status the file holds (e.g. fail-local-up)
#   verify-exit         the exit status of verify (default 0)
#   legacy-verify       verify predates --format json (only --json FILE)
echo "$*" >> calls.log
name=$1
case $1 in local) name="local-$2" ;; esac
if [ -f "fail-$name" ]; then
	echo "fake $name failing" >&2
	exit "$(cat "fail-$name")"
fi
case $name in
local-up)
	echo "local cloud is up"
	;;
local-down)
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	mkdir -p .twinstack
	cat > .twinstack/timings.json <<JSON
{
  "terraform": {"synth_seconds": 1.5, "deploy_seconds": 80.25, "destroy_seconds": 30, "recorded_at": "$now"},
  "cloudformation": {"synth_seconds": 4, "deploy_seconds": 60, "destroy_seconds": 20.5, "recorded_at": "2001-01-01T00:00:00Z"}
}
JSON
	echo "local cloud is down"
	;;
verify)
	dep=$3
	if [ -f legacy-verify ]; then
		if [ "$4" = "--format" ]; then
			echo "flag provided but not defined: -format" >&2
			exit 2
		fi
		cat > "$5" <<JSON
{"deployment": "$dep", "emulator": "moto 5.2.1", "results": [
  {"check": "a", "status": "ok"}, {"check": "b", "status": "ok"}, {"check": "c", "status": "patched"},
  {"check": "d", "status": "emulator gap"}, {"check": "e", "status": "different"}]}
JSON
		exit 0
	fi
	code=0 drift=0
	[ -f verify-exit ] && code=$(cat verify-exit)
	[ "$code" = 1 ] && drift=1
	cat <<JSON
{"deployment": "$dep", "emulator": "moto 5.2.1",
 "summary": {"total": $((45 + drift)), "ok": 40, "patched": 3, "unverified": 2, "drift": $drift, "missing": 0, "error": 0},
 "results": []}
JSON
	exit "$code"
	;;
*)
	echo "fake $name ok"
	;;
esac
