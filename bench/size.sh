#!/bin/sh
# Binary size: egs as built and stripped, and the embedded Dropbear object.
#   EGS=build/egs bench/size.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EGS=${EGS:-$ROOT/build/egs}
t=$(mktemp); trap 'rm -f "$t"' EXIT
strip -o "$t" "$EGS"
printf '%-28s %10s bytes (%.2f MiB)\n' "egs (as built)" "$(stat -c %s "$EGS")" "$(echo "$(stat -c %s "$EGS")/1048576" | bc -l)"
printf '%-28s %10s bytes (%.2f MiB)\n' "egs (stripped)" "$(stat -c %s "$t")" "$(echo "$(stat -c %s "$t")/1048576" | bc -l)"
size "$EGS" | tail -n 1 | awk '{printf "%-28s text %s data %s bss %s\n", "sections", $1, $2, $3}'
for o in "${DEPS:-$(dirname "$EGS")/deps}/musl/dropbear/dropbear_embed.o" "$ROOT/build/deps/musl/dropbear/dropbear_embed.o"; do
	[ -f "$o" ] && { size "$o" | tail -n 1 | awk -v o="$o" '{printf "%-28s text %s (%s)\n", "dropbear_embed.o", $1, o}'; break; }
done
