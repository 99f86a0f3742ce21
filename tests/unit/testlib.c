#include "testlib.h"

#include <stdio.h>
#include <string.h>

static int passed, failed;
static const char *group = "";

void t_group(const char *name) { group = name; }

int t_check(int cond, const char *file, int line, const char *what)
{
	if (cond) {
		passed++;
		return 1;
	}
	failed++;
	printf("FAIL %s:%d [%s]: %s\n", file, line, group, what);
	return 0;
}

int t_check_str(const char *got, const char *want, const char *file, int line,
                const char *what)
{
	int ok = (!got && !want) || (got && want && strcmp(got, want) == 0);
	if (!ok)
		printf("  got:  %s%s%s\n  want: %s%s%s\n", got ? "\"" : "",
		       got ? got : "NULL", got ? "\"" : "", want ? "\"" : "",
		       want ? want : "NULL", want ? "\"" : "");
	return t_check(ok, file, line, what);
}

int t_check_int(long long got, long long want, const char *file, int line,
                const char *what)
{
	if (got != want)
		printf("  got:  %lld\n  want: %lld\n", got, want);
	return t_check(got == want, file, line, what);
}

int t_done(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
