/* egs validate: Validate cloud-config user-data like 'cloud-init schema --config-file'
 * Placeholder until issue 5 lands: --help works, everything else exits 2. */
#include "applets.h"
#include "cli.h"

#include <stdio.h>

static const char usage[] =
	"Usage: egs validate --config-file FILE [--annotate] [--json]\n"
	"\n"
	"Validate cloud-config user-data like 'cloud-init schema --config-file'.\n"
	"(Not implemented yet: arrives with issue 5.)\n";

int validate_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return cli_not_implemented("validate", "issue 5");
}
