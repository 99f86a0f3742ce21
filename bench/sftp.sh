#!/bin/sh
# SFTP through ssh: a 1 GiB file put and get, and a tree of 2000 x 4 KiB
# files put -r / get -r, with 'sftp -b' against egs service (unix socket,
# egs proxy --fdpass; in-process egs sftp-server) and OpenSSH sshd +
# /usr/lib/openssh/sftp-server (127.0.0.1); interleaved, medians of PAIRS.
# When 'egs tool upload-directory --help' works (issue 4), the tree upload
# is also timed with it.
#   EGS=build/egs PAIRS=5 SIZE_MB=1024 bench/sftp.sh
. "$(dirname "$0")/lib.sh"
PAIRS=${PAIRS:-5}; SIZE_MB=${SIZE_MB:-1024}; FILES=${FILES:-2000}
TARGETS=${TARGETS:-"egs_unix sshd"}
start_egs; start_sshd
mkdir -p "$W/tree" "$W/remote"
head -c "${SIZE_MB}M" /dev/urandom > "$W/big"
i=0; while [ $i -lt "$FILES" ]; do head -c 4096 /dev/urandom > "$W/tree/f$i"; i=$((i+1)); done
sftp_to() { tg=$1; shift
	case $tg in
	egs_unix) sftp $SSHO -o "ProxyCommand=$EGS proxy --fdpass unix/$W/egs.sock" -o ProxyUseFdpass=yes "$@" egs@guest ;;
	sshd) sftp $SSHO -P "$SSHD_PORT" "$@" root@127.0.0.1 ;;
	esac >/dev/null
}
timeit() { t0=$(now); "$@"; t1=$(now); echo "$t0 $t1" | awk '{printf "%.3f", $2-$1}'; }
for r in $(seq "$PAIRS"); do
	for tg in $TARGETS; do
		rm -rf "$W/remote"/* "$W/got"*
		printf 'put %s %s/big\n' "$W/big" "$W/remote" > "$W/b.put"
		printf 'get %s/big %s/got\n' "$W/remote" "$W" > "$W/b.get"
		printf 'put -r %s %s/tree\n' "$W/tree" "$W/remote" > "$W/b.tput"
		printf 'get -r %s/tree %s/gottree\n' "$W/remote" "$W" > "$W/b.tget"
		for op in put get tput tget; do
			echo "$tg $op $(timeit sftp_to $tg -b "$W/b.$op")" >> "$W/res"
		done
		cmp -s "$W/big" "$W/got" || echo "MISMATCH $tg big" >&2
	done
done
"$EGS" tool upload-directory --help 2>&1 | grep -q 'not implemented' &&
	echo "# egs tool upload-directory: not implemented yet in this build, not timed"
echo "# $(date -u +%F) nproc=$(nproc) file=${SIZE_MB}MiB tree=${FILES}x4KiB pairs=$PAIRS (median seconds)"
for op in put get tput tget; do
	for tg in $TARGETS; do
		printf '%-5s %-9s %8.3f s\n' $op $tg "$(awk -v t=$tg -v o=$op '$1==t && $2==o {print $3}' "$W/res" | median)"
	done
done
