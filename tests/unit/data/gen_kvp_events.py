# Run: PYTHONPATH=build/deps/src/cloud-init python3 tests/unit/data/gen_kvp_events.py > tests/unit/data/kvp-events-tricky.bin
# Generates tests/unit/data/kvp-events-tricky.bin with the real cloud-init
# 22.4 HyperVKvpReportingHandler encoder (run once; the output is committed).
import sys, uuid
from cloudinit.reporting import handlers, events

uuids = iter([
    "11111111-2222-4333-8444-555555555555",
    "aaaaaaaa-bbbb-4ccc-9ddd-eeeeeeeeeeee",
    "01234567-89ab-4cde-af01-23456789abcd",
    "fedcba98-7654-4321-b0fe-dcba98765432",
    "00000000-0000-4000-8000-000000000000",
])
handlers.uuid.uuid4 = lambda: next(uuids)
h = handlers.HyperVKvpReportingHandler.__new__(handlers.HyperVKvpReportingHandler)
h.event_key_prefix = "CLOUD_INIT|1700000000"

def fin(name, desc, result, ts):
    e = events.FinishReportingEvent(name, desc, result)
    e.timestamp = ts
    return e

out = []
# 1: escapes cut at slice boundaries, non-ASCII, control chars
msg1 = ('\u00e9"\\\n\t\x01\u20ac\U0001F600 ok, ' * 150)
out += h._encode_event(fin("modules-final/config-runcmd", msg1, "FAIL", 1700000000.5))
# 2: non-ASCII name, short message
out += h._encode_event(events.ReportingEvent("start", "init-network/\u00fcn\u00efcode", "gr\u00fc\u00df \U0001F600", timestamp=1700000001.0))
# 3: value of exactly 1024 bytes (not split) and 4: 1025 bytes (split)
base = len('{"name":"n","type":"start","ts":"2023-11-14T22:13:22Z","msg":""}')
out += h._encode_event(events.ReportingEvent("start", "n", "y" * (1024 - base), timestamp=1700000002.0))
out += h._encode_event(events.ReportingEvent("start", "n", "z" * (1025 - base), timestamp=1700000002.0))
# 5: empty message, WARN
out += h._encode_event(fin("single/x", "", "WARN", 1700000003.000001))
sys.stdout.buffer.write(b"".join(out))
