/* Minimal unit-test helpers shared by tests/unit/test_*.c.
 * Each test program calls t_check() (through CHECK*) and ends main() with
 * `return t_done();`, which prints the closing line "N passed, N failed"
 * that tests/run.py adds up. */
#ifndef EGS_TESTLIB_H
#define EGS_TESTLIB_H

#include <stddef.h>

/* Records one check; prints "FAIL file:line: what" when cond is false. */
int t_check(int cond, const char *file, int line, const char *what);
/* Like t_check for strings: equal when both NULL or strcmp()==0. */
int t_check_str(const char *got, const char *want, const char *file, int line,
                const char *what);
/* Like t_check for integers. */
int t_check_int(long long got, long long want, const char *file, int line,
                const char *what);
/* Names the group of checks that follow (printed on failure). */
void t_group(const char *name);
/* Prints "N passed, N failed"; returns the exit status for main(). */
int t_done(void);

/* The macros only add file, line and the source text of the expression. */
#define CHECK(c) t_check(!!(c), __FILE__, __LINE__, #c)
#define CHECK_STR(got, want) t_check_str((got), (want), __FILE__, __LINE__, #got)
#define CHECK_INT(got, want) t_check_int((long long)(got), (long long)(want), __FILE__, __LINE__, #got)

#endif
