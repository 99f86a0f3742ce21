#!/bin/sh
# Connection latency: 'ssh HOST true' N times (default 50) against egs
# (unix via egs proxy --fdpass, tcp 127.0.0.1) and OpenSSH sshd (127.0.0.1),
# interleaved; median and p90 ms per target. Stock client defaults (KEX
# sntrup761/curve25519, the server's host key).
#   EGS=build/egs N=50 bench/latency.sh
. "$(dirname "$0")/lib.sh"
N=${N:-50}; TARGETS=${TARGETS:-"egs_unix egs_tcp sshd"}
start_egs; start_sshd
for i in $(seq "$N"); do
	for tg in $TARGETS; do
		t0=$(now); ssh_$tg "$(host_of $tg)" true; t1=$(now)
		echo "$tg $(echo "$t0 $t1" | awk '{printf "%.1f", ($2-$1)*1000}')" >> "$W/lat"
	done
done
echo "# $(date -u +%F) nproc=$(nproc) N=$N"
for tg in $TARGETS; do
	awk -v t=$tg '$1==t{print $2}' "$W/lat" | sort -g | awk -v t=$tg '{a[NR]=$1} END {printf "%-9s median %6.1f ms  p90 %6.1f ms\n", t, (NR%2?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2), a[int(NR*0.9)]}'
done
