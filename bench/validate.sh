#!/bin/sh
# Median wall time of `egs validate --config-file` vs `cloud-init schema
# --config-file` over the same 10 configs (5 runs each), and the ratio.
# Usage: bench/validate.sh [EGS]   (default: build/egs). Not a timed test.
# Prints the date, nproc, CPU model and load first, for docs/validate.md.
set -eu
EGS=${1:-${EGS:-build/egs}}
cd "$(dirname "$0")/.."
command -v cloud-init >/dev/null || { echo "cloud-init is not installed"; exit 1; }
[ -x "$EGS" ] || { echo "no egs binary at $EGS"; exit 1; }
CONFIGS=$(ls tests/validate/ok-minimal.yaml tests/validate/anchors.yaml \
	tests/validate/users-sudo-list.yaml tests/validate/chpasswd-users-ok.yaml \
	tests/validate/apt-ok.yaml tests/validate/perm-octal.yaml \
	tests/validate/runcmd-ok.yaml tests/validate/disk-setup.yaml \
	tests/validate/ntp-ok.yaml tests/validate/yum-repos.yaml)
RUNS=5
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  nproc: $(nproc)  cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  command: bench/validate.sh $EGS  ($RUNS runs x 10 configs)"
/usr/bin/python3 - "$EGS" $RUNS $CONFIGS <<'PY'
import statistics, subprocess, sys, time
egs, runs, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def median(cmd):
    times = []
    for c in configs:
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd + [c], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
    return statistics.median(times)
e = median([egs, "validate", "--config-file"])
c = median(["cloud-init", "schema", "--config-file"])
print(f"egs validate:      median {e * 1000:8.2f} ms")
print(f"cloud-init schema: median {c * 1000:8.2f} ms")
print(f"ratio: 1/{c / e:.0f} (goal <= 1/100)")
PY
