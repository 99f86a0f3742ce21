/* PyYAML's implicit resolvers (YAML 1.1 regexps, by hand) and the int,
 * float and timestamp constructors. */
#include "yaml_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- implicit resolution (PyYAML's Resolver regexps, by hand) ----------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* bool: yes|Yes|YES|no|No|NO|true|...|off|Off|OFF */
int match_bool(const char *s, int *val)
{
	static const char *const t[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
	static const char *const f[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
	for (size_t i = 0; i < 9; i++) {
		if (strcmp(s, t[i]) == 0)
			return *val = 1, 1;
		if (strcmp(s, f[i]) == 0)
			return *val = 0, 1;
	}
	return 0;
}

/* [0-9_]* from *p; returns count. first: the first char must be a digit. */
static size_t span_digits_(const char *s, size_t i, int allow_underscore)
{
	size_t j = i;
	while (is_digit(s[j]) || (allow_underscore && s[j] == '_'))
		j++;
	return j - i;
}

/* (?::[0-5]?[0-9])+ at s+i; returns the end or 0 when it does not match. */
static size_t span_base60(const char *s, size_t i)
{
	size_t n = 0;
	while (s[i] == ':') {
		if (s[i + 1] >= '0' && s[i + 1] <= '5' && is_digit(s[i + 2]))
			i += 3;
		else if (is_digit(s[i + 1]))
			i += 2;
		else
			return 0;
		n++;
	}
	return n ? i : 0;
}

int match_float(const char *s)
{
	size_t i = 0;
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return 1;
	if (s[0] == '-' || s[0] == '+')
		i++;
	if (!strcmp(s + i, ".inf") || !strcmp(s + i, ".Inf") || !strcmp(s + i, ".INF"))
		return 1;
	/* [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)? */
	if (is_digit(s[i])) {
		size_t j = i + span_digits_(s, i, 1);
		if (s[j] == '.') {
			j++;
			j += span_digits_(s, j, 1);
			if (s[j] == 'e' || s[j] == 'E') {
				if ((s[j + 1] == '-' || s[j + 1] == '+') && is_digit(s[j + 2])) {
					j += 2;
					j += span_digits_(s, j, 0);
				} else {
					return 0;
				}
			}
			if (!s[j])
				return 1;
		}
		/* [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* */
		j = i + span_digits_(s, i, 1);
		size_t k = span_base60(s, j);
		if (k && s[k] == '.') {
			k++;
			k += span_digits_(s, k, 1);
			if (!s[k])
				return 1;
		}
		return 0;
	}
	/* \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?  (no sign) */
	if (i == 0 && s[0] == '.' && is_digit(s[1])) {
		size_t j = 1 + span_digits_(s, 1, 1);
		if (s[j] == 'e' || s[j] == 'E') {
			if ((s[j + 1] == '-' || s[j + 1] == '+') && is_digit(s[j + 2]))
				j += 2 + span_digits_(s, j + 2, 0);
			else
				return 0;
		}
		return !s[j];
	}
	return 0;
}

int match_int(const char *s)
{
	size_t i = 0;
	if (s[0] == '-' || s[0] == '+')
		i++;
	const char *p = s + i;
	if (p[0] == '0' && p[1] == 'b') {
		size_t j = 2;
		while (p[j] == '0' || p[j] == '1' || p[j] == '_')
			j++;
		return j > 2 && !p[j];
	}
	if (p[0] == '0' && p[1] == 'x') {
		size_t j = 2;
		while (strchr("0123456789abcdefABCDEF_", p[j]) && p[j])
			j++;
		return j > 2 && !p[j];
	}
	if (p[0] == '0') {
		if (!p[1])
			return 1;
		size_t j = 1;
		while ((p[j] >= '0' && p[j] <= '7') || p[j] == '_')
			j++;
		return !p[j];
	}
	if (p[0] >= '1' && p[0] <= '9') {
		size_t j = span_digits_(p, 0, 1);
		if (!p[j])
			return 1;
		size_t k = span_base60(p, j);
		return k && !p[k];
	}
	return 0;
}

int match_null(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}


static int take_digits(const char *s, size_t *i, int min, int max, int *val)
{
	int n = 0, v = 0;
	while (n < max && is_digit(s[*i])) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	*val = v;
	return n >= min;
}

int match_timestamp(const char *s, struct tstamp *t)
{
	size_t i = 0;
	memset(t, 0, sizeof(*t));
	if (!take_digits(s, &i, 4, 4, &t->year) || s[i++] != '-')
		return 0;
	size_t save = i;
	if (take_digits(s, &i, 2, 2, &t->month) && s[i] == '-' && (i++, take_digits(s, &i, 2, 2, &t->day)) &&
	    !s[i] && i == save + 5)
		return 1;
	i = save;
	if (!take_digits(s, &i, 1, 2, &t->month) || s[i++] != '-' ||
	    !take_digits(s, &i, 1, 2, &t->day))
		return 0;
	if (s[i] == 'T' || s[i] == 't') {
		i++;
	} else if (s[i] == ' ' || s[i] == '\t') {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
	} else {
		return 0;
	}
	if (!take_digits(s, &i, 1, 2, &t->hour) || s[i++] != ':' ||
	    !take_digits(s, &i, 2, 2, &t->minute) || s[i++] != ':' ||
	    !take_digits(s, &i, 2, 2, &t->second))
		return 0;
	if (s[i] == '.') {
		i++;
		while (is_digit(s[i]))
			i++;
	}
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i] == 'Z') {
		i++;
	} else if (s[i] == '-' || s[i] == '+') {
		i++;
		if (!take_digits(s, &i, 1, 2, &t->tz_hour))
			return 0;
		if (s[i] == ':') {
			i++;
			if (!take_digits(s, &i, 2, 2, &t->tz_min))
				return 0;
		}
	} else if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
		return 0; /* trailing blanks only before a zone */
	}
	t->has_time = 1;
	return !s[i];
}

/* Python's datetime() range checks. */
int timestamp_valid(const struct tstamp *t)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (t->year < 1 || t->month < 1 || t->month > 12 || t->day < 1 ||
	    t->day > mdays[t->month - 1])
		return 0;
	int leap = (t->year % 4 == 0 && t->year % 100 != 0) || t->year % 400 == 0;
	if (t->month == 2 && t->day == 29 && !leap)
		return 0;
	return t->hour < 24 && t->minute < 60 && t->second < 60 && t->tz_hour < 24;
}

/* ---- constructors ----------------------------------------------------- */

/* Copies text without '_' into out (size >= len + 1). */
static void strip_underscores(const char *s, char *out)
{
	for (; *s; s++)
		if (*s != '_')
			*out++ = *s;
	*out = 0;
}

/* PyYAML's construct_yaml_int. Returns 0, or -1 for text int() rejects. */
int construct_int(struct ynode *n)
{
	char *v = malloc(n->text_len + 1);
	if (!v)
		return -1;
	strip_underscores(n->text, v);
	char *p = v;
	int neg = 0;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	int base = 10;
	int rc = 0;
	n->i = 0;
	n->f = 0;
	n->big = 0;
	if (!strcmp(p, "0")) {
		goto out;
	} else if (p[0] == '0' && p[1] == 'b') {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	} else if (p[0] == '0') {
		base = 8;
	} else if (strchr(p, ':')) {
		/* base 60: a:b:c = (a*60 + b)*60 + c */
		double f = 0;
		unsigned long long acc = 0;
		int over = 0;
		for (char *q = p; *q;) {
			char *end;
			errno = 0;
			unsigned long long part = strtoull(q, &end, 10);
			if (end == q) {
				rc = -1;
				goto out;
			}
			f = f * 60 + (double)part;
			if (acc > (unsigned long long)LLONG_MAX / 60 || errno)
				over = 1;
			acc = acc * 60 + part;
			q = *end == ':' ? end + 1 : end;
		}
		if (over || acc > (unsigned long long)LLONG_MAX)
			n->big = 1;
		n->i = neg ? -(long long)acc : (long long)acc;
		n->f = neg ? -f : f;
		goto out;
	}
	if (!*p) {
		rc = -1;
		goto out;
	}
	char *end;
	errno = 0;
	unsigned long long u = strtoull(p, &end, base);
	if (*end || end == p) {
		rc = -1;
		goto out;
	}
	if (errno == ERANGE || u > (unsigned long long)LLONG_MAX + (unsigned long long)neg) {
		n->big = 1;
		/* approximate the value for comparisons */
		double f = 0;
		for (char *q = p; *q; q++)
			f = f * base + (double)(is_digit(*q) ? *q - '0' : (*q | 0x20) - 'a' + 10);
		n->f = neg ? -f : f;
		goto out;
	}
	n->i = neg ? (long long)(0 - u) : (long long)u;
	n->f = neg ? -(double)u : (double)u;
out:
	free(v);
	return rc;
}

/* PyYAML's construct_yaml_float. */
int construct_float(struct ynode *n)
{
	char *v = malloc(n->text_len + 1);
	if (!v)
		return -1;
	strip_underscores(n->text, v);
	for (char *q = v; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q |= 0x20;
	char *p = v;
	double sign = 1;
	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	int rc = 0;
	if (!strcmp(p, ".inf")) {
		n->f = sign * INFINITY;
	} else if (!strcmp(p, ".nan")) {
		n->f = NAN;
	} else if (strchr(p, ':')) {
		double f = 0;
		for (char *q = p; *q;) {
			char *end;
			double part = strtod(q, &end);
			if (end == q) {
				rc = -1;
				break;
			}
			f = f * 60 + part;
			q = *end == ':' ? end + 1 : end;
		}
		n->f = sign * f;
	} else {
		char *end;
		double f = strtod(p, &end);
		if (*end || end == p || *p == ' ')
			rc = -1;
		n->f = sign * f;
	}
	free(v);
	return rc;
}

