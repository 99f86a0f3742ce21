/* The user-data pipeline of cloud-init 22.4.2 (UserDataProcessor): a blob
 * (maybe gzip, maybe MIME) becomes an ordered list of typed parts, with
 * #include / #include-once / text/x-include-url fetched and fed back in,
 * and #cloud-config-archive exploded. What the parts then do (handlers,
 * cloud-config merging) is not done here.
 *
 * Include semantics:
 *  - a line is a URL; "#include" / "#include-once" lines switch the mode
 *    and may carry a URL; other "#" lines and blank lines are skipped;
 *  - include-once: the content is cached in opts.urlcache_dir/<md5(url)>
 *    (0600) and read from there when present (as cloud-init's
 *    instance/data/urlcache); with no urlcache_dir it behaves as #include;
 *  - nesting deeper than opts.max_include_depth and a URL that includes
 *    itself (directly or through others) are errors; cloud-init would
 *    recurse until Python gives up, which is also an error;
 *  - a failed fetch is an error for the whole user-data, as cloud-init's
 *    ERROR_ON_USER_DATA_FAILURE. */
#ifndef EGS_USERDATA_H
#define EGS_USERDATA_H

#include <stddef.h>

#include "fetch.h"
#include "strbuf.h"

struct userdata_part {
	char *ctype;      /* the final content type, e.g. "text/cloud-config" */
	char *filename;   /* from Content-Disposition/name, else "part-NNN" */
	char *payload;    /* the decoded bytes, NUL-terminated after len */
	size_t len;
	char *origin;     /* where it came from, e.g. "user-data MIME part 2",
	                   * "include http://h/x (MIME part 1)", for messages */
	char *merge_type; /* Merge-Type or X-Merge-Type header, or NULL */
	long launch_index; /* Launch-Index header, else -1 */
	char **warnings;  /* messages about this part, in order */
	size_t nwarnings;
};

struct userdata_result {
	struct userdata_part *parts;
	size_t nparts;
	char *error; /* set when userdata_process failed */
};

/* Replaces the fetcher (tests, fuzzing). Appends the body to out and
 * returns 0, or returns -1 with a message in err. */
typedef int (*userdata_fetch_fn)(void *ctx, const char *url, struct strbuf *out,
                                 char *err, size_t errlen);

struct userdata_opts {
	struct fetch_opts fetch;  /* network/file policy, CA file, timeouts */
	userdata_fetch_fn fetcher; /* NULL: fetch_url() with .fetch */
	void *fetcher_ctx;
	const char *urlcache_dir; /* include-once cache, or NULL */
	int max_include_depth;    /* (10) */
	size_t max_size;          /* cap for any decompressed blob or part (10 MiB) */
};

/* Fills o with the defaults (network and files allowed). */
void userdata_opts_init(struct userdata_opts *o);

/* Runs the pipeline on blob. Returns 0 with out->parts filled, or -1 with
 * out->error (the parts found before the failure stay in out). Either way
 * free out with userdata_result_free. No global state; opts may be NULL
 * for the defaults. */
int userdata_process(const void *blob, size_t len, const struct userdata_opts *opts,
                     struct userdata_result *out);
void userdata_result_free(struct userdata_result *r);

/* cloud-init's handlers.type_from_starts_with: the content type named by
 * the payload's first characters (case-insensitive, after leading
 * whitespace), or NULL. strict_utf8: invalid UTF-8 means no match (bytes
 * payloads); otherwise invalid bytes just never match (text payloads). */
const char *userdata_sniff(const void *payload, size_t len, int strict_utf8);

/* 1 for the content types cloud-init gunzips (application/x-gzip, ...). */
int userdata_is_gzip_type(const char *ctype);

/* 1 for the content types cloud-init's built-in handlers take
 * (text/cloud-config, text/x-shellscript, text/cloud-boothook, ...). */
int userdata_type_is_handled(const char *ctype);

#endif
