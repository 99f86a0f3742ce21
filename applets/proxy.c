/* egs proxy: ssh ProxyCommand: connect stdio to a guest over vsock, vsock-mux, unix or tcp
 * Placeholder until issue 4 lands: --help works, everything else exits 2. */
#include "applets.h"
#include "cli.h"

#include <stdio.h>

static const char usage[] =
	"Usage: egs proxy TARGET [PORT]\n"
	"\n"
	"ssh ProxyCommand: connect stdio to a guest over vsock, vsock-mux, unix or tcp.\n"
	"(Not implemented yet: arrives with issue 4.)\n";

int proxy_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return cli_not_implemented("proxy", "issue 4");
}
