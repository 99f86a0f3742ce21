/* egs's own channel requests (*@eryph.io) for the embedded Dropbear: the
 * glue forks a child per request; this runs in it (egs_hooks.h). */
#include "sshd.h"

#include <egs_hooks.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "eryph_xfer.h"
#include "fsutil.h"
#include "log.h"
#include "strbuf.h"

int egs_hook_is_request(const char *type)
{
	return eryph_request_known(type);
}

void egs_hook_request(const char *type, const unsigned char *payload, unsigned int len,
                      int status_fd)
{
	struct eryph_result res;
	struct strbuf line = STRBUF_INIT;
	log_open(NULL, 0, LOG_FTL); /* the service's log fd was closed */
	/* a client gone mid-download must not kill us before the status line */
	signal(SIGPIPE, SIG_IGN);
	eryph_request(type, payload, len, 0, 1, &res);
	close(1); /* EOF on the channel before the result is read */
	if (eryph_result_encode(&res, &line) < 0 || fs_write_all(status_fd, line.data, line.len) < 0)
		_exit(1);
	_exit(0);
}
