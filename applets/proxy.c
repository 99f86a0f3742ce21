/* egs proxy: the ssh ProxyCommand. Connects to a guest's SSH service over
 * vsock, vsock-mux, unix or tcp and either hands the connected socket back
 * to ssh (--fdpass, for ProxyUseFdpass yes) or relays stdin/stdout. */
#include "applets.h"
#include "cli.h"
#include "transport.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: egs proxy [--fdpass] TARGET [PORT]\n"
	"\n"
	"ssh ProxyCommand: connect stdin/stdout to the SSH service of a guest.\n"
	"\n"
	"TARGET (the host names of systemd-ssh-proxy work unchanged; '%' may\n"
	"replace the first '/' for tools that dislike '/' in host names):\n"
	"  vsock/CID          AF_VSOCK; CID is a number or host, hypervisor, local\n"
	"  vsock-mux/PATH     Firecracker / Cloud Hypervisor hybrid vsock: unix socket\n"
	"                     PATH, then \"CONNECT PORT\" and an \"OK\" reply within 5 s\n"
	"  unix/PATH          a unix socket that leads straight to the guest service\n"
	"  tcp/HOST:PORT      tcp (IPv6: tcp/[ADDR]:PORT)\n"
	"  PATH is absolute unless it starts with \"./\" (unix/run/vm.sock = /run/vm.sock).\n"
	"PORT: the vsock port (default 5002, the egs service); for tcp the default\n"
	"port when TARGET has none. <vmid>.hyper-v.alt targets need Windows.\n"
	"\n"
	"  --fdpass   pass the connected socket back on stdout (SCM_RIGHTS) and exit,\n"
	"             as ssh's 'ProxyUseFdpass yes' expects; when stdout is not a\n"
	"             unix socket, relay instead\n"
	"\n"
	"Example ~/.ssh/config:\n"
	"  Host vsock/* vsock%* unix/* vsock-mux/*\n"
	"      ProxyCommand egs proxy --fdpass %h %p\n"
	"      ProxyUseFdpass yes\n"
	"(with %p ssh passes port 22 unless the Host block sets 'Port 5002')\n";

static int bad_usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "egs proxy: %s\n", msg);
	fputs(usage, stderr);
	return 2;
}

int proxy_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	int fdpass = 0, npos = 0, opts_done = 0;
	const char *pos[2] = {NULL, NULL};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!opts_done && strcmp(a, "--") == 0)
			opts_done = 1;
		else if (!opts_done && strcmp(a, "--fdpass") == 0)
			fdpass = 1;
		else if (!opts_done && a[0] == '-' && a[1])
			return bad_usage("unknown option");
		else if (npos < 2)
			pos[npos++] = a;
		else
			return bad_usage("too many arguments");
	}
	if (npos == 0)
		return bad_usage("missing TARGET");

	char err[512];
	struct transport_target t;
	if (transport_parse(pos[0], pos[1], &t, err, sizeof(err)) < 0)
		return bad_usage(err);

	int fd = transport_connect(&t, 0, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "egs proxy: %s\n", err);
		return 1;
	}
	if (fdpass && transport_is_unix_socket(STDOUT_FILENO)) {
		if (transport_send_fd(STDOUT_FILENO, fd) < 0) {
			fprintf(stderr, "egs proxy: passing the socket to ssh: %s\n", strerror(errno));
			close(fd);
			return 1;
		}
		close(fd);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (transport_relay(STDIN_FILENO, STDOUT_FILENO, fd) < 0) {
		fprintf(stderr, "egs proxy: %s: relay: %s\n", pos[0], strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
