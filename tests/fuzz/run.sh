#!/bin/sh
# Runs libFuzzer targets for SECONDS each, JOBS at a time (the Makefile's
# `make fuzz` calls this after building them).
#   tests/fuzz/run.sh BUILD_FUZZ_DIR SECONDS JOBS NAME...
# Seeds: tests/fuzz/corpus/NAME without the fuzz_ prefix (read only);
# new inputs and crash files: DIR/work-NAME/; log: DIR/NAME.log.
# Prints one line per target and "N passed, N failed"; exits 1 when any
# target found a crash, leak or timeout (the log's tail is printed).
set -u
dir=$1 seconds=$2 jobs=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$dir" && pwd) || exit 2

run_one() {
	name=$1
	corpus=$here/corpus/${name#fuzz_}
	work=$dir/work-$name
	mkdir -p "$work" || return 1
	seeds=
	[ -d "$corpus" ] && seeds=$corpus
	# shellcheck disable=SC2086 # seeds is one path or nothing
	if "$dir/$name" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$work/" "$work" $seeds \
		>"$dir/$name.log" 2>&1; then
		echo "ok   $name: $(grep -E '^Done [0-9]+ runs' "$dir/$name.log" | tail -n 1)"
	else
		echo "FAIL $name: $dir/$name.log"
		tail -n 40 "$dir/$name.log" | sed "s/^/  $name| /"
		return 1
	fi
}

if [ "${1:-}" = --one ]; then
	run_one "$2"
	exit $?
fi

results=$(mktemp) || exit 2
trap 'rm -f "$results"' EXIT INT TERM
echo "fuzzing $# targets, $seconds s each, $jobs at a time"
printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh -c '"$0" "$1" "$2" "$3" --one "$4"; echo "rc $4 $?" >>"$5"' \
	"$0" "$dir" "$seconds" "$jobs" {} "$results"
passed=$(grep -c ' 0$' "$results")
total=$(wc -l <"$results")
failed=$((total - passed))
[ "$total" -eq $# ] || { echo "only $total of $# targets reported"; failed=$(($# - passed)); }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
