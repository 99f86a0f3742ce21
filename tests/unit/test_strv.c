/* common/strv.c: string vectors. */
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "testlib.h"

int main(void)
{
	t_group("strv_push / strv_pushn with a count");
	char **v = NULL;
	size_t n = 0;
	CHECK_INT(strv_len(v), 0);
	CHECK(!strv_has(v, "a"));
	CHECK_INT(strv_push(&v, &n, "alpha"), 0);
	CHECK_INT(strv_pushn(&v, &n, "beta-gamma", 4), 0);
	CHECK_INT(n, 2);
	CHECK_STR(v[0], "alpha");
	CHECK_STR(v[1], "beta");
	CHECK(v[2] == NULL);
	CHECK_INT(strv_len(v), 2);
	CHECK(strv_has(v, "beta"));
	CHECK(!strv_has(v, "bet"));

	t_group("without a count (NULL n)");
	CHECK_INT(strv_push(&v, NULL, "delta"), 0);
	CHECK_INT(strv_len(v), 3);
	CHECK_STR(v[2], "delta");
	CHECK(v[3] == NULL);
	CHECK_INT(n, 2); /* untouched */

	t_group("strv_pushn_unique");
	n = strv_len(v);
	CHECK_INT(strv_pushn_unique(&v, &n, "alpha", 5), 0);
	CHECK_INT(n, 3);
	CHECK_INT(strv_pushn_unique(&v, &n, "alphabet", 5), 0); /* "alpha" again */
	CHECK_INT(n, 3);
	CHECK_INT(strv_pushn_unique(&v, &n, "alp", 3), 0); /* a prefix is new */
	CHECK_INT(n, 4);
	CHECK_STR(v[3], "alp");
	/* an embedded NUL ends the string, as strndup does */
	CHECK_INT(strv_pushn_unique(&v, &n, "delta\0x", 7), 0);
	CHECK_INT(n, 4);
	CHECK_INT(strv_pushn_unique(&v, &n, "ep\0silon", 8), 0);
	CHECK_INT(n, 5);
	CHECK_STR(v[4], "ep");
	CHECK(v[5] == NULL);

	t_group("many items, empty strings, free");
	for (int i = 0; i < 1000; i++)
		if (strv_push(&v, &n, i % 2 ? "" : "x") < 0)
			break;
	CHECK_INT(n, 1005);
	CHECK_INT(strv_len(v), 1005);
	CHECK_STR(v[1004], "");
	strv_free(v);
	strv_free(NULL);
	return t_done();
}
