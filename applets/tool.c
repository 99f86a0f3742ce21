/* egs tool: Host side: client key, ssh config, file transfer and guest status
 * Placeholder until issue 4 lands: --help works, everything else exits 2. */
#include "applets.h"
#include "cli.h"

#include <stdio.h>

static const char usage[] =
	"Usage: egs tool VERB [ARGS...]\n"
	"\n"
	"Host side: client key, ssh config, file transfer and guest status.\n"
	"(Not implemented yet: arrives with issue 4.)\n";

int tool_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return cli_not_implemented("tool", "issue 4");
}
