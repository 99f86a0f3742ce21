/* egs run: Provision this guest from cloud-init user-data
 * Placeholder until issue 6 lands: --help works, everything else exits 2. */
#include "applets.h"
#include "cli.h"

#include <stdio.h>

static const char usage[] =
	"Usage: egs run [--stage local|network|config|final] [--dry-run] [--root DIR] [--user-data PATH --instance-id ID]\n"
	"\n"
	"Provision this guest from cloud-init user-data.\n"
	"(Not implemented yet: arrives with issue 6.)\n";

int run_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return cli_not_implemented("run", "issue 6");
}
