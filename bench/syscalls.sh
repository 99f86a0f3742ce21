#!/bin/sh
# Syscalls of one egs session process (strace -f on the listener, counted
# for the forked session only): 256 MiB up (cat > /dev/null) and 256 MiB
# down (head -c), aes256-gcm, over the unix socket.
#   EGS=build/egs bench/syscalls.sh
. "$(dirname "$0")/lib.sh"
start_egs
for dir in up down; do
	strace -f -qq -o "$W/st.$dir" -p "$EGS_PID" & ST=$!; PIDS="$PIDS $ST"; sleep 0.5
	if [ $dir = up ]; then
		head -c 256M /dev/zero | ssh_egs_unix -c aes256-gcm@openssh.com guest 'cat > /dev/null'
	else
		ssh_egs_unix -c aes256-gcm@openssh.com guest 'head -c 256M /dev/zero' > /dev/null
	fi
	sleep 0.3; kill "$ST"; wait "$ST" 2>/dev/null || true
	# the session process: the one that select()s (not cat/head)
	sess=$(grep " select(" "$W/st.$dir" | awk "{print \$1}" | grep -v "^$EGS_PID\$" | sort | uniq -c | sort -rn | awk 'NR==1{print $2}')
	echo "== $dir 256 MiB, session pid $sess (calls per syscall)"
	awk -v p="$sess" '$1==p { s=$2; sub(/\(.*/, "", s); if (s !~ /^[<+-]/) n[s]++ } END { for (k in n) printf "%8d %s\n", n[k], k }' \
		"$W/st.$dir" | sort -rn | head -12
done
