/* egs status: Show provisioning status
 * Placeholder until issue 6 lands: --help works, everything else exits 2. */
#include "applets.h"
#include "cli.h"

#include <stdio.h>

static const char usage[] =
	"Usage: egs status [--json | --format json | --long] [--wait]\n"
	"\n"
	"Show provisioning status.\n"
	"(Not implemented yet: arrives with issue 6.)\n";

int status_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return cli_not_implemented("status", "issue 6");
}
