#!/bin/sh
# Throughput and server CPU per GiB: egs service (unix socket via
# egs proxy --fdpass, and tcp 127.0.0.1) vs OpenSSH sshd (127.0.0.1),
# 1 GiB up ('cat > /dev/null') and down ('head -c 1G /dev/zero') per
# cipher, interleaved egs-unix, egs-tcp, sshd for PAIRS rounds; medians.
#   EGS=build/egs PAIRS=5 SIZE_MB=1024 bench/throughput.sh
. "$(dirname "$0")/lib.sh"
PAIRS=${PAIRS:-5}; SIZE_MB=${SIZE_MB:-1024}
CIPHERS=${CIPHERS:-"aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com aes128-ctr,hmac-sha2-256 aes256-ctr,hmac-sha2-512"}
TARGETS=${TARGETS:-"egs_unix egs_tcp sshd"}
start_egs; start_sshd
echo "# $(date -u +%F) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) size=${SIZE_MB}MiB pairs=$PAIRS"
printf '%-34s %-5s %-9s %10s %12s\n' cipher dir target "MB/s" "srvCPUs/GiB"
for spec in $CIPHERS; do
	c=${spec%%,*}; m=""; [ "$spec" != "$c" ] && m="-m ${spec#*,}"
	for dir in up down; do
		for r in $(seq "$PAIRS"); do
			for tg in $TARGETS; do
				lp=$(listener_pid "$tg"); c0=$(cpu_of "$lp"); t0=$(now)
				if [ $dir = up ]; then
					head -c "${SIZE_MB}M" /dev/zero | ssh_$tg -c "$c" $m "$(host_of $tg)" 'cat > /dev/null'
				else
					ssh_$tg -c "$c" $m "$(host_of $tg)" "head -c ${SIZE_MB}M /dev/zero" > /dev/null
				fi
				t1=$(now); sleep 0.2; c1=$(cpu_of "$lp")
				echo "$tg $(echo "$SIZE_MB $t0 $t1 $c0 $c1" | awk '{ printf "%.1f %.3f", $1*1048576/($3-$2)/1e6, ($5-$4)*1024/$1 }')" >> "$W/res.$c.$dir"
			done
		done
		for tg in $TARGETS; do
			mbs=$(awk -v t=$tg '$1==t{print $2}' "$W/res.$c.$dir" | median)
			cpu=$(awk -v t=$tg '$1==t{print $3}' "$W/res.$c.$dir" | median)
			printf '%-34s %-5s %-9s %10s %12s\n' "$spec" $dir $tg "$mbs" "$cpu"
		done
	done
done
