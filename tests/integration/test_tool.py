#!/usr/bin/python3
"""egs tool: initialize, get-ssh-key, add-ssh-config (byte-exact against
tests/fixtures/sshconfig, checked with `ssh -G`), get-status, set-shell
(real OpenSSH client -> egs proxy --fdpass -> a paramiko test server on a
unix socket), and the argument rules. HOME is a temp dir throughout.

Run: EGS=/path/to/egs /usr/bin/python3 tests/integration/test_tool.py
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import ThreadedServer  # noqa: E402

EGS = os.path.realpath(os.environ.get("EGS", "build/egs"))
HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures", "sshconfig")
GUEST_ETC = "/etc/opt/eryph/guest-services"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def read(path):
    with open(path) as f:
        return f.read()


class Tool:
    def __init__(self, home):
        self.env = dict(os.environ, HOME=home)
        self.env.pop("SSH_AUTH_SOCK", None)  # never the user's agent

    def __call__(self, *args, timeout=60):
        return subprocess.run([EGS, "tool"] + list(args), capture_output=True, text=True,
                              env=self.env, timeout=timeout, stdin=subprocess.DEVNULL)


class BannerServer(ThreadedServer):
    """Sends a banner (or nothing) on each connection on a unix socket."""

    def __init__(self, path, banner):
        self.banner = banner
        super().__init__(socket.AF_UNIX, path, backlog=4)

    def serve(self, c):
        if self.banner:
            c.sendall(self.banner)
        time.sleep(4)
        c.close()


def paramiko_server(path, host_key, client_pub_b64, guest_etc, log):
    """An SSH server on a unix socket that accepts user egs with the client
    key and runs exec commands with GUEST_ETC mapped into guest_etc."""
    import paramiko

    class Server(paramiko.ServerInterface):
        def __init__(self):
            self.event = threading.Event()
            self.command = None

        def get_allowed_auths(self, username):
            return "publickey"

        def check_auth_publickey(self, username, key):
            ok = username == "egs" and key.get_base64() == client_pub_b64
            log.append(("auth", username, ok))
            return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

        def check_channel_request(self, kind, chanid):
            return paramiko.OPEN_SUCCEEDED if kind == "session" else \
                paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

        def check_channel_exec_request(self, channel, command):
            self.command = command.decode()
            self.event.set()
            return True

    def serve(conn):
        t = paramiko.Transport(conn)
        t.add_server_key(host_key)
        srv = Server()
        try:
            t.start_server(server=srv)
            chan = t.accept(20)
            if chan is None:
                return
            srv.event.wait(20)
            cmd = srv.command
            log.append(("exec", cmd))
            mapped = cmd.replace(GUEST_ETC, guest_etc)
            p = subprocess.run(["/bin/sh", "-c", mapped], capture_output=True, timeout=20)
            chan.sendall(p.stdout)
            chan.sendall_stderr(p.stderr)
            chan.send_exit_status(p.returncode)
            chan.close()
        except Exception as e:  # noqa: BLE001 - report anything in the log
            log.append(("error", repr(e)))
        finally:
            time.sleep(0.2)
            t.close()

    class Listener(ThreadedServer):
        def serve(self, conn):
            serve(conn)

    return Listener(socket.AF_UNIX, path, backlog=4)


def main():
    tmp = tempfile.mkdtemp(prefix="egs-tool-test.")
    try:
        tests(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def tests(tmp):
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    tool = Tool(home)
    cfg = os.path.join(home, ".config", "egs")

    # usage
    p = tool("--help")
    check(p.returncode == 0 and "Usage: egs tool" in p.stdout, "tool --help")
    for verb in ("initialize", "get-ssh-key", "add-ssh-config", "get-status", "set-shell",
                 "upload-file", "upload-directory", "download-file", "download-directory",
                 "proxy"):
        p = tool(verb, "--help")
        check(p.returncode == 0 and "Usage: egs" in p.stdout, f"{verb} --help")
    p = tool()
    check(p.returncode == 2, "no verb: exit 2")
    p = tool("frobnicate")
    check(p.returncode == 2 and "unknown verb" in p.stderr, "unknown verb: exit 2")
    p = tool("get-status")
    check(p.returncode == 2, "get-status without TARGET: exit 2")
    p = tool("add-ssh-config", "vsock/3", "a", "b")
    check(p.returncode == 2, "add-ssh-config too many args: exit 2")

    # get-ssh-key before initialize
    p = tool("get-ssh-key")
    check(p.returncode == 255 and
          p.stderr == "No SSH key found. Have you run the initialize command?\n",
          "get-ssh-key without a key")
    p = tool("add-ssh-config", "vsock/3")
    check(p.returncode == 255 and "No SSH key found" in p.stderr, "add-ssh-config needs the key")

    # initialize
    p = tool("initialize")
    check(p.returncode == 0 and p.stdout == "", f"initialize: silent, exit 0 ({p.stderr})")
    key = os.path.join(cfg, "private", "id_egs")
    check(os.stat(os.path.join(cfg, "private")).st_mode & 0o777 == 0o700, "private dir 0700")
    check(os.stat(key).st_mode & 0o777 == 0o600, "key 0600")
    first = read(key)
    p = tool("initialize")
    check(p.returncode == 0 and p.stdout == "The SSH key already exists.\n", "initialize again")
    check(read(key) == first, "initialize keeps the key")
    p = tool("get-ssh-key")
    pub = p.stdout
    check(p.returncode == 0 and pub.startswith("ecdsa-sha2-nistp256 AAAA") and
          pub.endswith("=\n") and pub.count(" ") == 1, "get-ssh-key format")
    k = subprocess.run(["ssh-keygen", "-y", "-f", key], capture_output=True, text=True)
    check(k.returncode == 0 and k.stdout == pub, "ssh-keygen -y derives the same public key")
    check(read(key + ".pub") == pub, "id_egs.pub is the same line")
    # --config-dir elsewhere
    other = os.path.join(tmp, "other-cfg")
    p = tool("--config-dir", other, "initialize")
    check(p.returncode == 0 and os.path.exists(os.path.join(other, "private", "id_egs")),
          "--config-dir")
    p = tool("get-ssh-key", "--config-dir", other)
    check(p.returncode == 0 and p.stdout != pub, "--config-dir after the verb")

    # add-ssh-config
    p = tool("add-ssh-config", "vsock/3", "bad alias")
    check(p.returncode == 255 and "invalid" in p.stderr, "bad alias: exit 255")
    p = tool("add-ssh-config", "vsock/3", "x.Hyper-V.alt")
    check(p.returncode == 255 and "must not end with .hyper-v.alt" in p.stderr,
          "reserved alias suffix")
    p = tool("add-ssh-config", "nonsense", "vm")
    check(p.returncode == 2 and "don't know how to reach" in p.stderr, "bad target: exit 2")

    ssh_config = os.path.join(home, ".ssh", "config")
    p = tool("add-ssh-config", "vsock/3", "myvm")
    vmfile = os.path.join(cfg, "ssh", "vm.d", "vsock-3.egs.alt.config")
    check(p.returncode == 0, f"add-ssh-config exit 0 ({p.stderr})")
    check(p.stdout == f"SSH config written to {vmfile}\nConnect with: ssh myvm\n",
          f"add-ssh-config output {p.stdout!r}")
    want = fixture("vm-vsock-alias.config") \
        .replace("/home/user/.config/egs", cfg).replace("/usr/local/bin/egs", EGS)
    check(read(vmfile) == want, "vm.d file byte-exact")
    # HOME differs from the passwd home here, so the Include path is absolute
    vm_glob = os.path.join(cfg, "ssh", "vm.d") + "/*"
    main_new = fixture("main-new.expected").replace("~/.config/egs/ssh/vm.d/*", vm_glob)
    check(read(ssh_config) == main_new, "~/.ssh/config written from scratch")
    check(os.stat(os.path.join(home, ".ssh")).st_mode & 0o777 == 0o700, "~/.ssh is 0700")

    # ssh itself reads the file as we mean it
    g = subprocess.run(["ssh", "-G", "-F", vmfile, "myvm"], capture_output=True, text=True)
    opts = {}
    for line in g.stdout.splitlines():
        k_, _, v = line.partition(" ")
        opts.setdefault(k_, v)
    check(g.returncode == 0, f"ssh -G parses the file ({g.stderr})")
    check(opts.get("user") == "egs", "ssh -G: user egs")
    check(opts.get("hostname") == "vsock-3.egs.alt", "ssh -G: hostname")
    check(opts.get("proxycommand") == f"{EGS} proxy --fdpass vsock/3", "ssh -G: proxycommand")
    check(opts.get("proxyusefdpass") == "yes", "ssh -G: proxyusefdpass")
    check(opts.get("identityfile") == key, "ssh -G: identityfile")
    check(opts.get("stricthostkeychecking") in ("accept-new", "new"), "ssh -G: accept-new")
    check(opts.get("ciphers") == "aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,"
          "aes192-ctr,aes256-ctr", "ssh -G: ciphers")

    # existing configs: prepend, replace, broken
    with open(ssh_config, "w") as f:
        f.write(fixture("main-prepend.input"))
    p = tool("add-ssh-config", "vsock/3", "myvm")
    check(read(ssh_config) == fixture("main-prepend.expected").replace(
        "~/.config/egs/ssh/vm.d/*", vm_glob), "prepend to an existing config")
    with open(ssh_config, "w") as f:
        f.write(fixture("main-replace.input"))
    p = tool("add-ssh-config", "vsock/3", "myvm")
    check(read(ssh_config) == fixture("main-replace.expected").replace(
        "~/.config/egs/ssh/vm.d/*", vm_glob), "replace between the borders")
    with open(ssh_config, "w") as f:
        f.write(fixture("main-broken.input"))
    p = tool("add-ssh-config", "vsock/3", "myvm")
    check(p.returncode != 0 and "broken eryph guest services configuration" in p.stderr,
          "single border: error")
    check(read(ssh_config) == fixture("main-broken.input"), "broken config left untouched")
    os.unlink(ssh_config)

    # the alias moves to the newest VM
    p = tool("add-ssh-config", "unix/tmp/vm2.sock", "myvm")
    check(p.returncode == 0, "second VM")
    check("Host vsock-3.egs.alt\n" in read(vmfile), "alias removed from the other VM")
    p = tool("add-ssh-config", "vsock/3", "MYVM")
    vm2 = os.path.join(cfg, "ssh", "vm.d", "unix-tmp-vm2.sock.egs.alt.config")
    check("Host unix-tmp-vm2.sock.egs.alt\n" in read(vm2), "alias removal is case-insensitive")

    # pinned host key
    kh_key = os.path.join(tmp, "hostkey.pub")
    with open(kh_key, "w") as f:
        f.write("ecdsa-sha2-nistp256 " + pub.split()[1] + " root@guest\n")
    p = tool("add-ssh-config", f"tcp/127.0.0.1:2222", "--known-host-key", kh_key)
    tcpfile = os.path.join(cfg, "ssh", "vm.d", "tcp-127.0.0.1-2222.egs.alt.config")
    want = fixture("vm-tcp-pinned.config") \
        .replace("/home/user/.config/egs", cfg).replace("/usr/local/bin/egs", EGS)
    check(p.returncode == 0 and read(tcpfile) == want, "pinned tcp file byte-exact")
    check(read(os.path.join(cfg, "known_hosts.d", "tcp-127.0.0.1-2222.egs.alt")) ==
          "tcp-127.0.0.1-2222.egs.alt ecdsa-sha2-nistp256 " + pub.split()[1] + "\n",
          "known_hosts line written")
    with open(kh_key, "w") as f:
        f.write("not a key\n")
    p = tool("add-ssh-config", "vsock/9", "--known-host-key", kh_key)
    check(p.returncode == 1 and "no OpenSSH public key" in p.stderr, "bad host key file")

    # get-status
    banner_sock = os.path.join(tmp, "banner.sock")
    bs = BannerServer(banner_sock, b"SSH-2.0-egs_test\r\n")
    p = tool("get-status", "unix" + banner_sock)
    check(p.returncode == 0 and p.stdout == "available\n", "get-status available")
    p = tool("get-status", "unix" + banner_sock, "--json")
    check(p.returncode == 0 and p.stdout ==
          '{\n  "status": "available",\n  "banner": "SSH-2.0-egs_test",\n  "guest": null\n}\n',
          "get-status --json (no ssh behind the banner: guest null)")
    bs.close()
    quiet_sock = os.path.join(tmp, "quiet.sock")
    qs = BannerServer(quiet_sock, b"")
    t0 = time.monotonic()
    p = tool("get-status", "unix" + quiet_sock)
    dt = time.monotonic() - t0
    check(p.returncode == 0 and p.stdout == "unknown\n" and 2.5 < dt < 6,
          f"silent server: unknown after ~3 s ({dt:.1f}s)")
    qs.close()
    p = tool("get-status", "unix" + os.path.join(tmp, "none.sock"), "--json")
    check(p.returncode == 0 and '"status": "unknown"' in p.stdout and '"banner": null' in p.stdout,
          "no server: unknown")
    p = tool("get-status", "myvm")
    check(p.returncode == 0 and p.stdout == "unknown\n", "get-status through an alias")

    # set-shell argument rules
    p = tool("set-shell", "myvm")
    check(p.returncode == 255 and p.stderr == "Either --command <CMD> or --reset is required.\n",
          "set-shell needs --command or --reset")
    p = tool("set-shell", "myvm", "--reset", "--command", "/bin/sh")
    check(p.returncode == 255, "set-shell --reset with --command")
    p = tool("set-shell", "myvm", "--reset", "-a", "x")
    check(p.returncode == 255, "set-shell --reset with --arguments")
    p = tool("set-shell", "myvm", "-c")
    check(p.returncode == 2, "set-shell -c without value: exit 2")

    # transfer verbs (tests/integration/test_tool_xfer.py does the transfers)
    p = tool("upload-file", "myvm", "a", "b", "--overwrite", "--quiet")
    check(p.returncode == 255 and p.stderr == "The file 'a' does not exist.\n",
          "upload-file: local source checked first")
    p = tool("download-directory", "nosuchvm", "a", "b", "--recursive")  # never vsock here
    check(p.returncode == 255 and "unknown target or alias 'nosuchvm'" in p.stderr,
          "download-directory: unknown alias")
    p = tool("download-file", "myvm", "a", "b", "--recursive")
    check(p.returncode == 2 and "unknown option" in p.stderr, "download-file has no --recursive")
    p = tool("upload-file", "myvm", "a", "b", "--recursive")
    check(p.returncode == 2 and "unknown option" in p.stderr, "upload-file has no --recursive")
    p = tool("upload-file", "myvm", "a")
    check(p.returncode == 2 and "need TARGET SRC DST" in p.stderr, "upload-file arity")

    # set-shell end to end: OpenSSH -> egs proxy --fdpass -> paramiko
    try:
        import paramiko
    except ImportError:
        print("note: paramiko missing, set-shell end-to-end skipped")
        return
    host_key = paramiko.ECDSAKey.generate()
    hk_file = os.path.join(tmp, "guest_host_key.pub")
    with open(hk_file, "w") as f:
        f.write(f"{host_key.get_name()} {host_key.get_base64()}\n")
    guest_etc = os.path.join(tmp, "guest-etc")
    log = []
    guest_sock = os.path.join(tmp, "guest.sock")
    ls = paramiko_server(guest_sock, host_key, pub.split()[1], guest_etc, log)
    p = tool("add-ssh-config", "unix" + guest_sock, "guest1", "--known-host-key", hk_file)
    check(p.returncode == 0, f"add-ssh-config for the test guest ({p.stderr})")
    p = tool("set-shell", "guest1", "--command", " /bin/zsh ", "--arguments", "-l -o 'x y'")
    check(p.returncode == 0, f"set-shell exit 0 ({p.stderr}) {log}")
    check(p.stdout == "Shell override set for VM guest1.\nCommand: /bin/zsh\n"
          "Arguments: -l -o 'x y'\nTakes effect on the next SSH session.\n",
          f"set-shell output {p.stdout!r}")
    conf = os.path.join(guest_etc, "shell.conf")
    check(os.path.exists(conf) and read(conf) == "shell=/bin/zsh\nshell-args=-l -o 'x y'\n",
          "shell.conf written in the guest")
    check(("auth", "egs", True) in log, "authenticated as egs with the client key")
    p = tool("set-shell", "guest1", "-c", "/bin/bash")
    check(p.returncode == 0 and read(conf) == "shell=/bin/bash\n" and
          "Arguments: (none)\n" in p.stdout, "set-shell without arguments")
    p = tool("set-shell", "guest1", "--reset")
    check(p.returncode == 0 and not os.path.exists(conf) and
          p.stdout == "Shell override removed for VM guest1.\n"
          "Takes effect on the next SSH session.\n", "set-shell --reset removes shell.conf")
    # an unconfigured target: same settings as -o options, host key pinned
    # on first use in known_hosts.d
    raw = "unix" + guest_sock
    name = None
    for fn in os.listdir(os.path.join(cfg, "ssh", "vm.d")):
        if "guest.sock" in fn:
            name = fn[: -len(".config")]
            os.unlink(os.path.join(cfg, "ssh", "vm.d", fn))
    kh = os.path.join(cfg, "known_hosts.d", name or "x")
    if os.path.exists(kh):
        os.unlink(kh)
    p = tool("set-shell", raw, "-c", "/bin/dash")
    check(p.returncode == 0 and read(conf) == "shell=/bin/dash\n",
          f"set-shell on an unconfigured target ({p.stderr})")
    check(os.path.exists(kh) and host_key.get_base64() in read(kh),
          "host key remembered on first use")
    # a wrong pinned key is refused
    other_key = paramiko.ECDSAKey.generate()
    with open(hk_file, "w") as f:
        f.write(f"{other_key.get_name()} {other_key.get_base64()}\n")
    p = tool("add-ssh-config", raw, "guest1", "--known-host-key", hk_file)
    p = tool("set-shell", "guest1", "--reset")
    check(p.returncode == 1 and os.path.exists(conf), "a changed host key is refused")
    ls.close()


if __name__ == "__main__":
    sys.exit(main())
