/* libFuzzer target: the SFTP server loop (common/sftp_server*.c) reading
 * the input as the client's byte stream. It really performs the requests,
 * so every '/' in the input becomes '_' (names stay in the sandbox's work
 * directory, see fuzz_sandbox.h) and the directory is emptied after each
 * input. Odd-sized inputs are served read-only. Responses go to
 * /dev/null. */
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_sandbox.h"
#include "log.h"
#include "sftp_server.h"

static int devnull = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (devnull < 0) {
		fuzz_sandbox_enter();
		signal(SIGPIPE, SIG_IGN);
		if (log_open(NULL, 0, LOG_FTL) < 0)
			abort();
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull < 0)
			abort();
	}
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	for (size_t i = 0; i < size; i++)
		copy[i] = data[i] == '/' ? '_' : data[i];
	int in = fuzz_memfd(copy, size);
	struct sftp_server_opts opts = {.read_only = (int)(size & 1)};
	(void)sftp_serve(in, devnull, &opts);
	close(in);
	free(copy);
	fuzz_sandbox_clean();
	return 0;
}
