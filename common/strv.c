/* String vectors (strv.h). */
#include "strv.h"

#include <stdlib.h>
#include <string.h>

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

int strv_pushn(char ***v, size_t *n, const char *s, size_t len)
{
	size_t count = n ? *n : strv_len(*v);
	char *copy = strndup(s, len);
	if (!copy)
		return -1;
	char **nv = realloc(*v, (count + 2) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return -1;
	}
	nv[count] = copy;
	nv[count + 1] = NULL;
	*v = nv;
	if (n)
		*n = count + 1;
	return 0;
}

int strv_push(char ***v, size_t *n, const char *s)
{
	return strv_pushn(v, n, s, strlen(s));
}

int strv_pushn_unique(char ***v, size_t *n, const char *s, size_t len)
{
	len = strnlen(s, len); /* what strndup will keep */
	for (size_t i = 0; *v && (*v)[i]; i++)
		if (strlen((*v)[i]) == len && memcmp((*v)[i], s, len) == 0)
			return 0;
	return strv_pushn(v, n, s, len);
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}
