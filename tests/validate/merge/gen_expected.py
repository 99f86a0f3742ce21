#!/usr/bin/python3
"""Runs every case of cases.json through cloud-init's own code (the
installed cloud-init 22.4.2: handlers.cloud_config.CloudConfigPartHandler,
mergers, util.mergemanydict; imported only, nothing is provisioned) and
prints the expected results as JSON: {"name": {"result": <the merged value
as compact JSON text, key order kept, or null>, "error": bool, "merged":
[bool per part]}}.
Usage: gen_expected.py [cases.json] > expected.json"""
import json
import logging
import os
import sys

logging.disable(logging.CRITICAL)

from cloudinit import mergers, safeyaml, util  # noqa: E402
from cloudinit.handlers import CONTENT_START  # noqa: E402
from cloudinit.handlers.cloud_config import CloudConfigPartHandler  # noqa: E402


class NoPaths:
    def get_ipath(self, _name):
        return None  # nothing is written


def dumps(v):
    def conv(o):
        if isinstance(o, bytes):
            return o.decode("utf-8", "replace")
        return str(o)
    return json.dumps(v, ensure_ascii=False, default=conv, separators=(",", ":"))


def run_parts(case):
    h = CloudConfigPartHandler(NoPaths())
    h.handle_part(None, CONTENT_START, None, None, None, None)
    merged = []
    for i, p in enumerate(case["parts"]):
        before = len(h.file_names)
        headers = {"Content-Type": "text/cloud-config"}
        if p.get("header"):
            headers["Merge-Type"] = p["header"]
        h.handle_part(None, "text/cloud-config", "part-%03d" % (i + 1), p["yaml"], None, headers)
        merged.append(len(h.file_names) > before)
    return {"result": dumps(h.cloud_buf), "error": False, "merged": merged}


def run_merge(case):
    a = safeyaml.load(case["a"])
    b = safeyaml.load(case["b"])
    try:
        m = mergers.construct(mergers.string_extract_mergers(case["how"]))
        return {"result": dumps(m.merge(a, b)), "error": False}
    except Exception:  # noqa: BLE001 - any Python error is "error"
        return {"result": None, "error": True}


def run_many(case):
    cfgs = [safeyaml.load(c) for c in case["configs"]]
    try:
        return {"result": dumps(util.mergemanydict(cfgs)), "error": False}
    except Exception:  # noqa: BLE001
        return {"result": None, "error": True}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "cases.json")
    cases = json.load(open(path))["cases"]
    run = {"parts": run_parts, "merge": run_merge, "many": run_many}
    out = {c["name"]: run[c["kind"]](c) for c in cases}
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
