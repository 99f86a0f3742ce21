#!/usr/bin/python3
"""Runs every test suite and adds up their closing lines.

Suites: the unit test binaries ($EGS_BUILD/test/test_*), then
tests/integration/test_*.py (Debian's python3) and test_*.sh, then
tests/e2e/test_*.py when EGS_E2E is not 0. Each suite prints its own
"N passed, N failed" as its last such line; a suite that crashes or prints
none counts as one failure. Usage: tests/run.py [SUBSTRING...] runs only
suites whose path contains one of the substrings."""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("EGS_BUILD", os.path.join(ROOT, "build"))
SUMMARY = re.compile(r"^(?:\w+:\s*)?(\d+) passed, (\d+) failed(?:, \d+ skipped)?\s*$")
TIMEOUT = int(os.environ.get("EGS_TEST_TIMEOUT", "900"))


def suites():
    unit = os.path.join(BUILD, "test")
    if os.path.isdir(unit):
        for name in sorted(os.listdir(unit)):
            if name.startswith("test_") and os.access(os.path.join(unit, name), os.X_OK):
                yield [os.path.join(unit, name)]
    dirs = ["integration"]
    if os.environ.get("EGS_E2E", "1") != "0":
        dirs.append("e2e")
    for d in dirs:
        path = os.path.join(ROOT, "tests", d)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if name.startswith("test_") and name.endswith(".py"):
                yield ["/usr/bin/python3", full]
            elif name.startswith("test_") and name.endswith(".sh"):
                yield ["sh", full]


def run(cmd):
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=TIMEOUT, cwd=ROOT)
        out, rc = proc.stdout.decode("utf-8", "replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") + f"\nTIMEOUT after {TIMEOUT}s\n"
        rc = -1
    passed = failed = None
    for line in out.splitlines():
        m = SUMMARY.match(line.strip())
        if m:
            passed, failed = int(m.group(1)), int(m.group(2))
    if passed is None:
        passed, failed = 0, 1
    elif rc != 0 and failed == 0:
        failed = 1  # it said all passed but exited non-zero
    return passed, failed, rc, out, time.monotonic() - start


def main():
    wanted = sys.argv[1:]
    total_p = total_f = 0
    bad = []
    for cmd in suites():
        name = os.path.relpath(cmd[-1], ROOT)
        if wanted and not any(w in name for w in wanted):
            continue
        p, f, rc, out, secs = run(cmd)
        total_p += p
        total_f += f
        status = "ok  " if f == 0 else "FAIL"
        print(f"{status} {name}: {p} passed, {f} failed ({secs:.1f}s)", flush=True)
        if f:
            bad.append((name, out))
    for name, out in bad:
        print(f"\n===== {name} =====")
        lines = out.splitlines()
        print("\n".join(lines[-80:]))
    print(f"\n{total_p} passed, {total_f} failed")
    return 1 if total_f or total_p == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
