#!/usr/bin/python3
"""User-data pipeline end to end, through tests/userdata/ud_dump.c built here
with gcc from our common code:

* every tests/userdata/cases/*.in gives the parts cloud-init 22.4.2 gives
  (the .expected files were produced by cloud-init's own UserDataProcessor);
* #include over http:// against a local server on 127.0.0.1 started here
  (Content-Length, chunked, read-until-close, redirects, gzip encoding,
  404, a 500 that is retried, the size cap, nested includes, a loop);
* https:// with a throwaway CA made with openssl (skipped without openssl);
* file:// includes and the include-once cache.

Run with Debian's /usr/bin/python3. Prints "N passed, N failed"."""

import glob
import gzip
import http.server
import os
import shutil
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPS = os.environ.get("EGS_DEPS", os.path.join(ROOT, "build", "deps"))
SOURCES = ["userdata", "mime", "gz", "utf8", "fetch", "base64", "strbuf", "fsutil", "errbuf"]

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL %s %s" % (what, detail))


def build(tmp):
    exe = os.path.join(tmp, "ud_dump")
    cmd = ["gcc", "-std=gnu11", "-O1", "-g", "-D_GNU_SOURCE", "-fsanitize=address,undefined",
           "-iquote", os.path.join(ROOT, "common"),
           "-I", os.path.join(DEPS, "src", "bearssl", "inc"),
           "-I", os.path.join(DEPS, "src", "zlib"),
           "-I", os.path.join(DEPS, "src", "libyaml", "include"), "-DYAML_DECLARE_STATIC",
           os.path.join(ROOT, "tests", "userdata", "ud_dump.c")]
    cmd += [os.path.join(ROOT, "common", s + ".c") for s in SOURCES]
    cmd += sorted(glob.glob(os.path.join(ROOT, "common", "yaml*.c")))
    cmd += [os.path.join(DEPS, "host", "bearssl", "libbearssl.a"),
            os.path.join(DEPS, "host", "libyaml", "libyaml.a"),
            os.path.join(DEPS, "host", "zlib", "libz.a"), "-lm", "-o", exe]
    subprocess.run(cmd, check=True)
    return exe


def run(exe, blob, *args, tmp):
    path = os.path.join(tmp, "blob.in")
    with open(path, "wb") as f:
        f.write(blob)
    p = subprocess.run([exe, *args, path], capture_output=True, timeout=120)
    if p.stderr:
        print(p.stderr.decode(errors="replace"))
    parts, errors = [], []
    for line in p.stdout.decode(errors="replace").splitlines():
        if line.startswith("error: "):
            errors.append(line[7:])
        elif not line.startswith("  warning: ") and "\t" in line:
            ctype, fname, hexdata = line.split("\t")
            parts.append((ctype, fname, bytes.fromhex(hexdata)))
    return p.returncode, parts, errors


# ---- the local web server -------------------------------------------------

A_TXT = b"#cloud-config\na: 1\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    flaky = {"n": 0}

    def log_message(self, *a):
        pass

    def send(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the client gave up on purpose (size cap)
            pass

    def do_GET(self):
        base = "%s://%s" % (self.server.scheme, self.headers["Host"])
        p = self.path
        if p == "/a.txt":
            self.send(200, A_TXT)
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for piece in (b"#!/bin/sh\n", b"echo ", b"chunked\n"):
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Trailer: 1\r\n\r\n")
        elif p == "/close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"#cloud-boothook\n#!/bin/sh\n")
            self.close_connection = True
        elif p.startswith("/redir/"):
            n = int(p[7:])
            loc = "/a.txt" if n == 0 else ("%s/redir/%d" % (base, n - 1) if n % 2 else "%d" % (n - 1))
            self.send(302, b"", [("Location", loc)])
        elif p == "/gz":
            self.send(200, gzip.compress(b"#!/bin/sh\necho gz\n"), [("Content-Encoding", "gzip")])
        elif p == "/flaky":
            Handler.flaky["n"] += 1
            if Handler.flaky["n"] == 1:
                self.send(500, b"oops")
            else:
                self.send(200, b"#!/bin/sh\necho flaky\n")
        elif p == "/big":
            self.send(200, b"#" * (10 * 1024 * 1024 + 1))
        elif p == "/nested":
            self.send(200, ("#include %s/a.txt\n" % base).encode())
        elif p == "/loop":
            self.send(200, ("#include\n%s/loop\n" % base).encode())
        elif p == "/mime":
            self.send(200, b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
                      b"--b\nContent-Type: text/x-shellscript\n\n#!/bin/sh\n--b\n"
                      b"Content-Type: text/cloud-config\nContent-Disposition: attachment; filename=cc\n\n"
                      b"b: 2\n--b--\n")
        else:
            self.send(404, b"not found")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def start(scheme, ctx=None):
    srv = Server(("127.0.0.1", 0), Handler)
    srv.scheme = scheme
    if ctx:
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv


# ---- tests ----------------------------------------------------------------

def test_cases(exe, tmp):
    for inp in sorted(glob.glob(os.path.join(ROOT, "tests", "userdata", "cases", "*.in"))):
        name = os.path.basename(inp)[:-3]
        with open(inp[:-3] + ".expected") as f:
            want = f.read().strip()
        p = subprocess.run([exe, "--no-net", inp], capture_output=True, timeout=60)
        lines = [l for l in p.stdout.decode(errors="replace").splitlines()
                 if not l.startswith("  warning: ")]
        # a warning about a type with a newline in it spans lines
        lines = [l for l in lines if "\t" in l or l.startswith("error")]
        got = "\n".join(lines).strip()
        if got.startswith("error") or "\nerror" in got:
            got = "error"
        check(got == want and not p.stderr, "case " + name,
              "\n got: %r\nwant: %r\n%s" % (got, want, p.stderr.decode(errors="replace")))


def test_http(exe, tmp):
    srv = start("http")
    base = "http://127.0.0.1:%d" % srv.server_address[1]
    try:
        rc, parts, err = run(exe, ("#include\n%s/a.txt\n%s/chunked\n%s/close\n#include %s/gz\n"
                                   % (base, base, base, base)).encode(), tmp=tmp)
        check(rc == 0, "http basic rc", err)
        check([p[0] for p in parts] == ["text/cloud-config", "text/x-shellscript",
                                        "text/cloud-boothook", "text/x-shellscript"],
              "http basic types", parts)
        check(parts and parts[0][2] == A_TXT, "content-length body")
        check(len(parts) > 1 and parts[1][2] == b"#!/bin/sh\necho chunked\n", "chunked body")
        check(len(parts) > 3 and parts[3][2] == b"#!/bin/sh\necho gz\n", "gzip encoding")
        check([p[1] for p in parts] == ["part-001", "part-002", "part-003", "part-004"],
              "part names")

        # /redir/N answers N+1 redirects, absolute and relative ones
        rc, parts, err = run(exe, ("#include %s/redir/4" % base).encode(), tmp=tmp)
        check(rc == 0 and len(parts) == 1 and parts[0][2] == A_TXT, "5 redirects", err)
        rc, parts, err = run(exe, ("#include %s/redir/5" % base).encode(), tmp=tmp)
        check(rc == 1 and err and "redirects" in err[0], "6 redirects refused", err)

        rc, parts, err = run(exe, ("#include %s/missing" % base).encode(), tmp=tmp)
        check(rc == 1 and err and "404" in err[0], "404 is an error", err)
        rc, parts, err = run(exe, ("#include %s/flaky" % base).encode(), tmp=tmp)
        check(rc == 0 and parts and b"flaky" in parts[0][2], "500 retried", err)
        rc, parts, err = run(exe, ("#include %s/big" % base).encode(), tmp=tmp)
        check(rc == 1 and err and "larger than" in err[0], "10 MiB cap", err)
        rc, parts, err = run(exe, ("#include %s/nested\n#include %s/mime" % (base, base)).encode(),
                             tmp=tmp)
        check(rc == 0 and [(p[0], p[1]) for p in parts] == [
            ("text/cloud-config", "part-001"), ("text/x-shellscript", "part-002"),
            ("text/cloud-config", "cc")], "nested + MIME include", parts)
        rc, parts, err = run(exe, ("#include %s/loop" % base).encode(), tmp=tmp)
        check(rc == 1 and err and "loop" in err[0], "loop detected", err)
        rc, parts, err = run(exe, b"#include http://127.0.0.1:1/x", tmp=tmp)
        check(rc == 1 and err and "connect" in err[0], "connection refused", err)
        rc, parts, err = run(exe, ("#include %s/a.txt" % base).encode(), "--no-net", tmp=tmp)
        check(rc == 1 and err and "disabled" in err[0], "network disabled", err)

        # include-once: the second run reads the cache, not the server
        cache = os.path.join(tmp, "urlcache")
        rc, parts, err = run(exe, ("#include-once %s/flaky" % base).encode(), "--cache", cache,
                             tmp=tmp)
        check(rc == 0 and len(os.listdir(cache)) == 1, "include-once cached", err)
        f = os.path.join(cache, os.listdir(cache)[0]) if os.path.isdir(cache) else ""
        check(f and (os.stat(f).st_mode & 0o777) == 0o600, "cache file 0600")
        srv.shutdown()
        srv.server_close()
        rc, parts, err = run(exe, ("#include-once %s/flaky" % base).encode(), "--cache", cache,
                             tmp=tmp)
        check(rc == 0 and parts and b"flaky" in parts[0][2], "include-once from cache", err)
    finally:
        srv.shutdown()
        srv.server_close()


def test_files(exe, tmp):
    p = os.path.join(tmp, "inc.txt")
    with open(p, "wb") as f:
        f.write(b"#!/bin/sh\necho file\n")
    rc, parts, err = run(exe, ("#include file://%s\n%s\n" % (p, p)).encode(), "--no-net", tmp=tmp)
    check(rc == 0 and len(parts) == 2 and parts[0][0] == "text/x-shellscript", "file includes",
          err)
    rc, parts, err = run(exe, ("#include file://%s" % p).encode(), "--no-files", tmp=tmp)
    check(rc == 1 and err and "disabled" in err[0], "files disabled", err)
    rc, parts, err = run(exe, b"#include file:///nonexistent/x", tmp=tmp)
    check(rc == 1 and err and "No such file" in err[0], "missing file", err)


def test_https(exe, tmp):
    if not shutil.which("openssl"):
        print("skip https: no openssl")
        return
    d = os.path.join(tmp, "pki")
    os.mkdir(d)

    def ossl(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
         "-days", "2", "-subj", "/CN=egs test CA")
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=other CA")
    ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "srv.pem"), os.path.join(d, "srv.key"))
    srv = start("https", ctx)
    port = srv.server_address[1]
    try:
        # a bundle with other certificates first, as system bundles are
        bundle = os.path.join(d, "bundle.pem")
        with open(bundle, "w") as out:
            for n in ("other.pem", "ca.pem"):
                with open(os.path.join(d, n)) as f:
                    out.write(f.read())
        blob = ("#include https://localhost:%d/a.txt\nhttps://localhost:%d/chunked\n"
                % (port, port)).encode()
        rc, parts, err = run(exe, blob, "--ca", bundle, tmp=tmp)
        check(rc == 0 and len(parts) == 2 and parts[0][2] == A_TXT, "https include", err)
        rc, parts, err = run(exe, blob, "--ca", os.path.join(d, "other.pem"), tmp=tmp)
        check(rc == 1 and err and "TLS" in err[0], "untrusted CA refused", err)
        rc, parts, err = run(exe, blob, "--ca", os.path.join(d, "nope.pem"), tmp=tmp)
        check(rc == 1 and err and "CA bundle" in err[0], "missing CA bundle", err)
    finally:
        srv.shutdown()
        srv.server_close()


def main():
    tmp = tempfile.mkdtemp(prefix="egs-inc-")
    try:
        exe = build(tmp)
        test_cases(exe, tmp)
        test_http(exe, tmp)
        test_files(exe, tmp)
        test_https(exe, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
