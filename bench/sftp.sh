#!/bin/sh
# SFTP through ssh: a 1 GiB file put and get, and a tree of 2000 x 4 KiB
# files put -r / get -r, with 'sftp -b' against egs service (unix socket,
# egs proxy --fdpass; in-process egs sftp-server) and OpenSSH sshd +
# /usr/lib/openssh/sftp-server (127.0.0.1); interleaved, medians of PAIRS.
# The tree upload is also timed with `egs tool upload-directory`
# against `sftp put -r` to sshd (issue 8: >= 1.5x).
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
# The same tree through `egs tool upload-directory` (its own client key,
# which becomes the service's id_egs.pub from here on), interleaved with
# OpenSSH's `sftp put -r` to sshd again.
"$EGS" tool --config-dir "$W/tool" initialize >/dev/null
cp "$W/tool/private/id_egs.pub" "$W/cfg/id_egs.pub"
tool_up() { "$EGS" tool --config-dir "$W/tool" upload-directory "unix/$W/egs.sock" \
	"$W/tree" "$W/remote/tree" --recursive --quiet >/dev/null; }
for r in $(seq "$PAIRS"); do
	rm -rf "$W/remote"/*
	echo "tool tput $(timeit tool_up)" >> "$W/res"
	[ "$(ls "$W/remote/tree" | wc -l)" -eq "$FILES" ] || echo "MISMATCH egs tool tree" >&2
	rm -rf "$W/remote"/*
	echo "sshd tput2 $(timeit sftp_to sshd -b "$W/b.tput")" >> "$W/res"
done
echo "# $(date -u +%F) nproc=$(nproc) file=${SIZE_MB}MiB tree=${FILES}x4KiB pairs=$PAIRS (median seconds)"
for op in put get tput tget; do
	for tg in $TARGETS; do
		printf '%-5s %-9s %8.3f s\n' $op $tg "$(awk -v t=$tg -v o=$op '$1==t && $2==o {print $3}' "$W/res" | median)"
	done
done
tool=$(awk '$1=="tool" && $2=="tput" {print $3}' "$W/res" | median)
ref=$(awk '$1=="sshd" && $2=="tput2" {print $3}' "$W/res" | median)
printf '%-5s %-9s %8.3f s   (egs tool upload-directory)\n' tput egs_tool "$tool"
printf '%-5s %-9s %8.3f s   (sftp put -r, same rounds)\n' tput sshd "$ref"
echo "$tool $ref" | awk '{ printf "tree upload: egs tool %.2fx sshd sftp (goal >= 1.5x)\n", $2/$1 }'
