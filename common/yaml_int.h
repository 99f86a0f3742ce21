/* Internals shared by common/yaml*.c (not for other users). */
#ifndef EGS_YAML_INT_H
#define EGS_YAML_INT_H

#include "yaml.h"

/* A timestamp's fields, from match_timestamp(). */
struct tstamp {
	int year, month, day, hour, minute, second, has_time, tz_hour, tz_min;
};

/* Each returns 1 if the plain scalar s matches PyYAML's resolver regexp. */
int match_bool(const char *s, int *val);
int match_float(const char *s);
int match_int(const char *s);
int match_null(const char *s);
int match_timestamp(const char *s, struct tstamp *t);
/* 1 if Python's datetime() accepts the fields. */
int timestamp_valid(const struct tstamp *t);
/* PyYAML's construct_yaml_int/float on n->text: fill n->i/f/big.
 * Return 0, or -1 for text Python's int()/float() rejects. */
int construct_int(struct ynode *n);
int construct_float(struct ynode *n);

#endif
