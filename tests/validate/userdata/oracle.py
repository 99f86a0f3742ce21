#!/usr/bin/python3
"""The cloud-config cloud-init 22.4.2 would build from a user-data file:
UserDataProcessor (gzip, MIME, #include, archives) then, for every
text/cloud-config part in walk order, the real CloudConfigPartHandler.
Only imports cloudinit; nothing is provisioned, caches go to a temporary
directory. Prints {"merged": <compact JSON text or null>, "error": <text
or null>}.  Usage: oracle.py USER-DATA-FILE"""
import json
import logging
import sys
import tempfile

logging.disable(logging.CRITICAL)

from cloudinit import handlers, user_data  # noqa: E402
from cloudinit.handlers.cloud_config import CloudConfigPartHandler  # noqa: E402


class TmpPaths:
    def __init__(self, d):
        self.d = d

    def get_ipath_cur(self, _name=None):
        return self.d

    def get_cpath(self, _name=None):
        return self.d

    def get_ipath(self, _name=None):
        return None  # CloudConfigPartHandler writes nothing


def main():
    blob = open(sys.argv[1], "rb").read()
    with tempfile.TemporaryDirectory() as d:
        try:
            msg = user_data.UserDataProcessor(TmpPaths(d)).process(blob)
        except Exception as e:  # noqa: BLE001 - any failure is the verdict
            print(json.dumps({"merged": None, "error": str(e)}))
            return
    h = CloudConfigPartHandler(TmpPaths(None))
    h.handle_part(None, handlers.CONTENT_START, None, None, None, None)
    seen = [False]

    def callback(_data, filename, payload, headers):
        if headers["Content-Type"] == "text/cloud-config":
            seen[0] = True
            h.handle_part(None, "text/cloud-config", filename, payload, None, headers)

    handlers.walk(msg, callback, {})
    merged = h.cloud_buf if seen[0] else None

    def conv(o):
        return o.decode("utf-8", "replace") if isinstance(o, bytes) else str(o)
    text = None if merged is None else json.dumps(merged, ensure_ascii=False, default=conv,
                                                  separators=(",", ":"))
    print(json.dumps({"merged": text, "error": None}))


if __name__ == "__main__":
    main()
