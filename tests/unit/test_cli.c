/* common/cli.c: help detection shared by every applet. */
#include "cli.h"
#include "testlib.h"

int main(void)
{
	char *a1[] = {"egs-tool", "get-ssh-key", "--help", NULL};
	char *a2[] = {"egs-tool", "--", "--help", NULL};
	char *a3[] = {"egs-tool", "-h", NULL};
	char *a4[] = {"egs-tool", "--helpx", NULL};

	t_group("cli_wants_help");
	CHECK(cli_wants_help(3, a1));
	CHECK(!cli_wants_help(3, a2));
	CHECK(cli_wants_help(2, a3));
	CHECK(!cli_wants_help(2, a4));
	CHECK(!cli_is_help(NULL));
	CHECK_INT(cli_not_implemented("x", "test"), 2);
	return t_done();
}
