/* An SFTP version 3 server as OpenSSH's sftp-server speaks it (with its
 * extensions: posix-rename, statvfs, fstatvfs, hardlink, fsync, lsetstat,
 * limits, expand-path). It serves one client over two file descriptors,
 * so the ssh subsystem (stdin/stdout) and unit tests (a socketpair) share
 * the same loop. Paths are not restricted: relative ones resolve against
 * the current directory, like sftp-server's. */
#ifndef EGS_SFTP_SERVER_H
#define EGS_SFTP_SERVER_H

struct sftp_server_opts {
	int read_only; /* refuse every request that would change the file system */
};

/* Serves requests read from in_fd, writing responses to out_fd (which
 * may be the same descriptor) until in_fd reaches EOF. Requests are
 * processed in order; many may be outstanding, and responses are batched
 * into as few writes as possible. Both descriptors are switched to
 * non-blocking mode while serving and restored afterwards. The caller
 * should ignore SIGPIPE. Returns 0 after a clean EOF, or -1 after a
 * protocol violation (oversized or malformed packet framing, a request
 * before INIT) or an I/O error, which are logged. */
int sftp_serve(int in_fd, int out_fd, const struct sftp_server_opts *opts);

#endif
