/* `egs validate --user-data`: the whole runtime path without applying
 * anything. The blob goes through common/userdata (gzip, MIME, #include,
 * archives), every text/cloud-config part is merged as cloud-init's
 * CloudConfigPartHandler does (common/yaml_merge), and the merged
 * document is checked against the schema (common/schema). Other parts are
 * reported, not validated. The verdict follows the original egs-service:
 * 0 valid (warnings allowed), 1 rejected, 2 unreadable / not parseable /
 * bad target. Printing is the applet's job. */
#ifndef EGS_VALIDATE_USERDATA_H
#define EGS_VALIDATE_USERDATA_H

#include <stddef.h>

#include "schema.h"
#include "userdata.h"
#include "yaml_merge.h"

struct vud_part {
	const char *ctype;    /* from the userdata part */
	const char *filename;
	const char *origin;
	const char *status;   /* "merged", "empty", "yaml-error", "not-a-dict",
	                       * "merge-error", "not-validated", "ignored" */
	char *note;           /* "not validated (script)", "merged", ... */
};

struct vud_problem {
	char *path;    /* schema path, "" at the top; "part N" for part problems */
	char *message;
	int line;      /* 1-based line in its part, 0 unknown */
	int part;      /* 1-based part index, 0 unknown */
};

struct vud_result {
	int rc;            /* 0 valid, 1 rejected, 2 error */
	char *fatal;       /* rc 2: why ("Cannot read user-data file ...") */
	struct vud_part *parts;
	size_t nparts;
	struct vud_problem *errors, *deprecations;
	size_t nerrors, ndeprecations;
	char **warnings;   /* "'packages' is not supported on egs (accepted, not applied)." */
	size_t nwarnings;
	struct userdata_result ud;
	struct cc_parts cc;    /* cc.merged: the merged document (NULL: no cloud-config) */
	size_t *cc_part;       /* cc.docs[i] came from parts[cc_part[i]] */
};

struct vud_opts {
	const char *target;  /* windows, linux, all, egs */
	int allow_network;   /* #include of http(s) URLs */
	size_t max_size;     /* user-data file cap */
};

/* Runs the check on the file at path. Returns 0 (r says how it went) or
 * -1 on ENOMEM. Free r with vud_free either way. */
int vud_run(const char *path, const struct vud_opts *o, struct vud_result *r);
void vud_free(struct vud_result *r);

#endif
