/* egs sftp-server: SFTP v3 server on stdin/stdout, started for the ssh 'sftp' subsystem
 * Placeholder until issue 3 lands: --help works, everything else exits 2. */
#include "applets.h"
#include "cli.h"

#include <stdio.h>

static const char usage[] =
	"Usage: egs sftp-server \n"
	"\n"
	"SFTP v3 server on stdin/stdout, started for the ssh 'sftp' subsystem.\n"
	"(Not implemented yet: arrives with issue 3.)\n";

int sftp_server_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return cli_not_implemented("sftp-server", "issue 3");
}
