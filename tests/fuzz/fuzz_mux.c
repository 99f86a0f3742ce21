/* libFuzzer target: the vsock-mux CONNECT/OK handshake of the host proxy
 * (transport_mux_handshake) over a socketpair whose peer sent the input
 * and then closed. */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		signal(SIGPIPE, SIG_IGN);
		init = 1;
	}
	if (size > 65536)
		return 0;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	int sz = 1 << 18;
	if (setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t n = write(sv[1], data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (shutdown(sv[1], SHUT_WR) < 0)
		abort();
	char err[256];
	(void)transport_mux_handshake(sv[0], 5002, 200, err, sizeof(err));
	close(sv[0]);
	close(sv[1]);
	return 0;
}
