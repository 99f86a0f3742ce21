/* egs validate: a drop-in for `cloud-init schema --config-file FILE`
 * (cloud-init 22.4.2: same arguments, output layout and exit codes), plus
 * the original egs-service form `validate --user-data PATH [--target T]`
 * (the whole user-data pipeline and part merging: common/validate_userdata),
 * `--json` machine output and `--self-check` for the build. */
#include "applets.h"
#include "cli.h"
#include "fsutil.h"
#include "json.h"
#include "jsonw.h"
#include "schema.h"
#include "strbuf.h"
#include "validate_userdata.h"
#include "yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
	"Usage: egs validate --config-file FILE [--annotate] [--json]\n"
	"       egs validate --user-data FILE [--target windows|linux|all|egs]\n"
	"                    [--allow-network] [--annotate] [--json]\n"
	"       egs validate --self-check\n"
	"\n"
	"Validate cloud-config user-data like 'cloud-init schema --config-file'\n"
	"(cloud-init 22.4.2's schema, embedded).\n"
	"\n"
	"  -c, --config-file FILE  the cloud-config to check; exit 0 valid, 1 invalid\n"
	"  --annotate              print the file with the problems marked on their lines\n"
	"  --json                  print the verdict as JSON on stdout\n"
	"  --user-data FILE        user-data as the guest receives it (gzip, MIME,\n"
	"                          #include, scripts): merge every cloud-config part\n"
	"                          as cloud-init does, validate the result; exit 0\n"
	"                          valid, 1 rejected, 2 unreadable or not parseable\n"
	"  --target T              with --user-data: windows, linux, all (default) or\n"
	"                          egs; linux and egs warn about keys egs does not apply\n"
	"  --allow-network         with --user-data: #include may fetch http(s) URLs\n"
	"                          (default: file:// and paths only)\n"
	"  --self-check            exit 1 if the schema uses a keyword this\n"
	"                          validator does not implement\n"
	"\n"
	"Details: docs/validate.md.\n";

#define MAX_CONFIG (64u * 1024 * 1024)
#define HEADER "#cloud-config"

enum verdict_kind {
	V_VALID,
	V_MISSING,   /* no such file */
	V_UNREADABLE,
	V_HEADER,    /* does not begin with #cloud-config */
	V_YAML,      /* YAML error */
	V_NOT_DICT,
	V_SCHEMA,    /* schema errors and/or deprecations */
};

struct verdict {
	enum verdict_kind kind;
	struct strbuf content;
	struct yaml_error yerr;
	struct ydoc *doc;
	struct schema_result res;
	int have_res;
	char *message; /* the format-lL.cC problem text (V_HEADER, V_YAML) */
	int line, col;
};

static void verdict_free(struct verdict *v)
{
	sb_free(&v->content);
	yaml_error_free(&v->yerr);
	ydoc_free(v->doc);
	if (v->have_res)
		schema_result_free(&v->res);
	free(v->message);
}

/* Runs cloud-init's validate_cloudconfig_file steps on path. */
static int check_file(const char *path, int annotate, struct verdict *v)
{
	struct stat st;
	memset(v, 0, sizeof(*v));
	if (stat(path, &st) < 0 && errno == ENOENT) {
		v->kind = V_MISSING;
		return 0;
	}
	if (fs_read_file(path, &v->content, MAX_CONFIG) < 0) {
		v->kind = V_UNREADABLE;
		return 0;
	}
	struct strbuf msg = STRBUF_INIT;
	if (v->content.len < strlen(HEADER) || memcmp(v->content.data, HEADER, strlen(HEADER))) {
		v->kind = V_HEADER;
		v->line = v->col = 1;
		sb_printf(&msg, "File %s needs to begin with \"%s\"", path, HEADER);
		v->message = sb_detach(&msg);
		return 0;
	}
	v->doc = yaml_load(v->content.data, v->content.len, "<byte string>", &v->yerr);
	if (!v->doc) {
		v->kind = V_YAML;
		v->line = v->yerr.line;
		v->col = v->yerr.col;
		sb_printf(&msg, "File %s is not valid yaml. %s", path,
		          v->yerr.message ? v->yerr.message : "");
		v->message = sb_detach(&msg);
		return 0;
	}
	struct ynode *root = ydoc_root(v->doc);
	if (root->kind != Y_MAP && !annotate) {
		v->kind = V_NOT_DICT;
		return 0;
	}
	struct schema *s = schema_load_embedded();
	if (!s)
		return -1;
	int rc = schema_validate(s, root, &v->res);
	schema_free(s);
	if (rc < 0) {
		fputs("egs validate: out of memory\n", stderr);
		return -1;
	}
	v->have_res = 1;
	v->kind = v->res.nerrors || v->res.ndeprecations ? V_SCHEMA : V_VALID;
	return 0;
}

static void put_problems(struct strbuf *sb, const char *prefix,
                         const struct schema_problem *p, size_t n)
{
	sb_puts(sb, prefix);
	for (size_t i = 0; i < n; i++)
		sb_printf(sb, "%s%s: %s", i ? ", " : "", p[i].path, p[i].message);
}

/* One annotation: the problem's 1-based line and its text. */
struct ann {
	int line;
	const char *msg;
};

struct footers {
	struct strbuf e, d;
	int ei, di;
};

/* Prints text with cloud-init's _Annotator labels ("\t\t# E1,D1") after
 * the lines that have problems; the footer entries go to f. */
static void annotate_text(const char *p, size_t len, const struct ann *errs, size_t nerr,
                          const struct ann *deps, size_t ndep, struct footers *f)
{
	const char *end = p + len;
	int lineno = 1;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		fwrite(p, 1, n, stdout);
		struct strbuf labels = STRBUF_INIT;
		for (size_t i = 0; i < nerr; i++) {
			if (errs[i].line != lineno)
				continue;
			sb_printf(&labels, "%sE%d", labels.len ? "," : "", f->ei);
			sb_printf(&f->e, "# E%d: %s\n", f->ei++, errs[i].msg);
		}
		for (size_t i = 0; i < ndep; i++) {
			if (deps[i].line != lineno)
				continue;
			sb_printf(&labels, "%sD%d", labels.len ? "," : "", f->di);
			sb_printf(&f->d, "# D%d: %s\n", f->di++, deps[i].msg);
		}
		if (labels.len)
			printf("\t\t# %s", sb_str(&labels));
		sb_free(&labels);
		if (!nl)
			break;
		putchar('\n');
		p = nl + 1;
		lineno++;
	}
}

/* The footers cloud-init prints after the annotated file. */
static void print_footers(struct footers *f)
{
	if (f->e.len) {
		f->e.data[--f->e.len] = 0;
		printf("\n# Errors: -------------\n%s\n\n", sb_str(&f->e));
	}
	if (f->d.len) {
		f->d.data[--f->d.len] = 0;
		printf("\n# Deprecations: -------------\n%s\n\n", sb_str(&f->d));
	}
	putchar('\n');
	sb_free(&f->e);
	sb_free(&f->d);
}

/* Problems as annotations (line 0 counts as line 1, as cloud-init's). */
static struct ann *schema_anns(const struct schema_problem *p, size_t n)
{
	struct ann *a = calloc(n + 1, sizeof(*a));
	for (size_t i = 0; a && i < n; i++) {
		a[i].line = p[i].line ? p[i].line : 1;
		a[i].msg = p[i].message;
	}
	return a;
}

/* cloud-init's _Annotator: the file with "\t\t# E1,D1" labels and footers. */
static void print_annotated(const struct verdict *v)
{
	struct footers f = {STRBUF_INIT, STRBUF_INIT, 1, 1};
	struct ann one = {v->line, v->message};
	struct ann *errs = v->have_res ? schema_anns(v->res.errors, v->res.nerrors) : &one;
	struct ann *deps = v->have_res ? schema_anns(v->res.deprecations, v->res.ndeprecations) : NULL;
	if (!errs || (v->have_res && !deps)) {
		fputs("egs validate: out of memory\n", stderr);
	} else {
		annotate_text(v->content.data ? v->content.data : "", v->content.len, errs,
		              v->have_res ? v->res.nerrors : 1, deps,
		              v->have_res ? v->res.ndeprecations : 0, &f);
		print_footers(&f);
	}
	if (v->have_res) {
		free(errs);
		free(deps);
	}
}

/* Prints the outcome exactly as `cloud-init schema -c FILE` does. */
static int report_cloudinit(const char *path, int annotate, struct verdict *v)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;
	switch (v->kind) {
	case V_MISSING:
		fprintf(stderr, "Error:\nConfigfile %s does not exist\n", path);
		return 1;
	case V_UNREADABLE:
		fprintf(stderr, "Error:\nConfigfile %s could not be read: %s\n", path, strerror(errno));
		return 1;
	case V_NOT_DICT:
		fputs("Error:\nCloud-config is not a YAML dict.\n", stderr);
		return 1;
	case V_HEADER:
	case V_YAML:
		if (annotate) {
			print_annotated(v);
			return 0;
		}
		fprintf(stderr, "Error:\nCloud config schema errors: format-l%d.c%d: %s\n",
		        v->line, v->col, v->message);
		return 1;
	case V_SCHEMA:
		if (annotate) {
			print_annotated(v);
			if (v->res.nerrors)
				return 0; /* cloud-init swallows the error with --annotate */
			break;
		}
		put_problems(&sb, "Cloud config schema deprecations: ", v->res.deprecations,
		             v->res.ndeprecations);
		puts(sb_str(&sb));
		sb_reset(&sb);
		if (v->res.nerrors) {
			put_problems(&sb, "Cloud config schema errors: ", v->res.errors, v->res.nerrors);
			if (v->res.ndeprecations) {
				sb_puts(&sb, "\n\n");
				put_problems(&sb, "Cloud config schema deprecations: ",
				             v->res.deprecations, v->res.ndeprecations);
			}
			fflush(stdout);
			fprintf(stderr, "Error:\n%s\n", sb_str(&sb));
			rc = 1;
		}
		break;
	case V_VALID:
		break;
	}
	sb_free(&sb);
	if (rc == 0)
		printf("Valid cloud-config: %s\n", path);
	return rc;
}

/* One {"path", "message", "line"[, "part"]} object; part < 0: none. */
static void json_problem(struct jsonw *w, const char *path, const char *msg, int line, int part)
{
	jw_obj_begin(w);
	jw_key(w, "path");
	jw_str(w, path);
	jw_key(w, "message");
	jw_str(w, msg);
	jw_key(w, "line");
	jw_int(w, line);
	if (part >= 0) {
		jw_key(w, "part");
		jw_int(w, part);
	}
	jw_obj_end(w);
}

static void json_problems(struct jsonw *w, const char *key, const struct schema_problem *p, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		json_problem(w, p[i].path, p[i].message, p[i].line, -1);
	jw_arr_end(w);
}

/* Opens the --json object: {"file", "valid", "result", ... */
static void json_begin(struct jsonw *w, struct strbuf *out, const char *path, int valid,
                       const char *result)
{
	jw_init(w, out, 2, 0);
	jw_obj_begin(w);
	jw_key(w, "file");
	jw_str(w, path);
	jw_key(w, "valid");
	jw_bool(w, valid);
	jw_key(w, "result");
	jw_str(w, result);
}

static int report_json(const char *path, struct verdict *v)
{
	static const char *const kinds[] = {"valid", "missing", "unreadable", "header",
	                                    "yaml", "not-a-dict", "schema"};
	int valid = v->kind == V_VALID || (v->kind == V_SCHEMA && !v->res.nerrors);
	struct strbuf out = STRBUF_INIT;
	struct jsonw w;
	json_begin(&w, &out, path, valid, kinds[v->kind]);
	struct schema_problem one = {NULL, NULL, v->line};
	char fmt[64];
	if (v->kind == V_HEADER || v->kind == V_YAML) {
		snprintf(fmt, sizeof(fmt), "format-l%d.c%d", v->line, v->col);
		one.path = fmt;
		one.message = v->message;
		json_problems(&w, "errors", &one, 1);
	} else if (v->kind == V_NOT_DICT || v->kind == V_MISSING || v->kind == V_UNREADABLE) {
		one.path = "";
		one.message = v->kind == V_NOT_DICT ? "Cloud-config is not a YAML dict."
		            : v->kind == V_MISSING ? "Configfile does not exist"
		                                   : "Configfile could not be read";
		json_problems(&w, "errors", &one, 1);
	} else {
		json_problems(&w, "errors", v->res.errors, v->res.nerrors);
	}
	if (v->have_res)
		json_problems(&w, "deprecations", v->res.deprecations, v->res.ndeprecations);
	else
		json_problems(&w, "deprecations", NULL, 0);
	jw_obj_end(&w);
	puts(sb_str(&out));
	sb_free(&out);
	return valid ? 0 : 1;
}

/* ---- --user-data ------------------------------------------------------ */

/* The original's `egs-service validate --user-data PATH` output on stdout;
 * what happened to each part goes to stderr, so stdout stays as the
 * original's. */
static int ud_report_text(const struct vud_result *r)
{
	for (size_t i = 0; i < r->nparts; i++)
		fprintf(stderr, "part %zu %s: %s\n", i + 1, r->parts[i].ctype, r->parts[i].note);
	if (r->rc == 2) {
		fprintf(stderr, "%s\n", r->fatal);
		return 2;
	}
	for (size_t i = 0; i < r->nwarnings; i++)
		printf("Warning: %s\n", r->warnings[i]);
	for (size_t i = 0; i < r->ndeprecations; i++)
		printf("Warning: %s: %s\n", r->deprecations[i].path, r->deprecations[i].message);
	if (r->nerrors) {
		puts("Validation failed:");
		for (size_t i = 0; i < r->nerrors; i++)
			printf("  - %s: %s\n", *r->errors[i].path ? r->errors[i].path : "(top level)",
			       r->errors[i].message);
		return 1;
	}
	puts("User-data is valid.");
	return 0;
}

static void ud_json_problems(struct jsonw *w, const char *key, const struct vud_problem *p, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		json_problem(w, p[i].path, p[i].message, p[i].line, p[i].part);
	jw_arr_end(w);
}

static void jw_str_or_null(struct jsonw *w, const char *s)
{
	if (s)
		jw_str(w, s);
	else
		jw_null(w);
}

static int ud_report_json(const char *path, const char *target, const struct vud_result *r)
{
	static const char *const results[] = {"valid", "rejected", "error"};
	struct strbuf out = STRBUF_INIT;
	struct jsonw w;
	json_begin(&w, &out, path, r->rc == 0, results[r->rc]);
	jw_key(&w, "target");
	jw_str(&w, target);
	jw_key(&w, "exit");
	jw_int(&w, r->rc);
	jw_key(&w, "message");
	jw_str_or_null(&w, r->fatal);
	jw_key(&w, "parts");
	jw_arr_begin(&w);
	for (size_t i = 0; i < r->nparts; i++) {
		const struct vud_part *p = &r->parts[i];
		jw_obj_begin(&w);
		jw_key(&w, "part");
		jw_int(&w, (long long)i + 1);
		jw_key(&w, "type");
		jw_str(&w, p->ctype);
		jw_key(&w, "filename");
		jw_str(&w, p->filename);
		jw_key(&w, "origin");
		jw_str(&w, p->origin);
		jw_key(&w, "merge_type");
		jw_str_or_null(&w, r->ud.parts[i].merge_type);
		jw_key(&w, "status");
		jw_str(&w, p->status);
		jw_key(&w, "note");
		jw_str(&w, p->note);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	ud_json_problems(&w, "errors", r->errors, r->nerrors);
	ud_json_problems(&w, "deprecations", r->deprecations, r->ndeprecations);
	jw_key(&w, "warnings");
	jw_arr_begin(&w);
	for (size_t i = 0; i < r->nwarnings; i++)
		jw_str(&w, r->warnings[i]);
	jw_arr_end(&w);
	jw_key(&w, "merged");
	if (r->cc.merged)
		json_write_node(&w, r->cc.merged);
	else
		jw_null(&w);
	jw_obj_end(&w);
	int rc = r->rc;
	if (jw_error(&w)) {
		fputs("egs validate: out of memory\n", stderr);
		rc = 2;
	} else {
		puts(sb_str(&out));
	}
	sb_free(&out);
	return rc;
}

/* The problems of one part (part 0: those no part owns) as annotations. */
static struct ann *ud_anns(const struct vud_problem *p, size_t n, int part, size_t *count)
{
	struct ann *a = calloc(n + 1, sizeof(*a));
	*count = 0;
	for (size_t i = 0; a && i < n; i++) {
		if (p[i].part != part)
			continue;
		a[*count].line = part && p[i].line ? p[i].line : 1;
		a[(*count)++].msg = p[i].message;
	}
	return a;
}

/* --annotate with --user-data: every part under a "# part N" heading, the
 * cloud-config parts with labels, one footer for all. */
static int ud_report_annotated(const struct vud_result *r)
{
	struct footers f = {STRBUF_INIT, STRBUF_INIT, 1, 1};
	int rc = r->rc;
	for (int part = 1; part <= (int)r->nparts + 1; part++) {
		int loose = part == (int)r->nparts + 1; /* problems no part owns */
		size_t ne, nd;
		struct ann *e = ud_anns(r->errors, r->nerrors, loose ? 0 : part, &ne);
		struct ann *d = ud_anns(r->deprecations, r->ndeprecations, loose ? 0 : part, &nd);
		if (!e || !d) {
			fputs("egs validate: out of memory\n", stderr);
			rc = 2;
		} else if (loose) {
			annotate_text("", 0, e, ne, d, nd, &f);
		} else {
			const struct userdata_part *up = &r->ud.parts[part - 1];
			printf("# ---- part %d %s (%s): %s\n", part, up->ctype, up->origin,
			       r->parts[part - 1].note);
			if (!strcmp(up->ctype, "text/cloud-config")) {
				annotate_text(up->payload, up->len, e, ne, d, nd, &f);
				if (up->len && up->payload[up->len - 1] != '\n')
					putchar('\n');
			}
		}
		free(e);
		free(d);
	}
	if (r->rc == 2)
		printf("# %s\n", r->fatal);
	for (size_t i = 0; i < r->nwarnings; i++)
		printf("# Warning: %s\n", r->warnings[i]);
	print_footers(&f);
	return rc;
}

/* `validate --user-data PATH [--target T] [--json|--annotate]`. */
static int validate_user_data(const char *path, const struct vud_opts *o, int json, int annotate)
{
	struct vud_result r;
	int rc;
	if (vud_run(path, o, &r) < 0) {
		fputs("egs validate: out of memory\n", stderr);
		rc = 2;
	} else if (json) {
		rc = ud_report_json(path, o->target, &r);
	} else if (annotate) {
		rc = ud_report_annotated(&r);
	} else {
		rc = ud_report_text(&r);
	}
	vud_free(&r);
	return rc;
}

static int self_check(void)
{
	struct schema *s = schema_load_embedded();
	if (!s)
		return 1;
	const char *where;
	const char *bad = schema_unknown_keyword(s, &where);
	int rc = 0;
	if (bad) {
		fprintf(stderr, "egs validate: the schema uses '%s' at %s, which the validator does not implement\n",
		        bad, where);
		rc = 1;
	} else {
		puts("schema self-check: every keyword is implemented");
	}
	schema_free(s);
	return rc;
}

static int bad_usage(const char *why)
{
	if (why)
		fprintf(stderr, "egs validate: %s\n", why);
	fputs(usage, stderr);
	return 2;
}

int validate_main(int argc, char **argv)
{
	const char *config = NULL, *user_data = NULL, *target = NULL;
	int annotate = 0, json = 0, check = 0, allow_network = 0;
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		const char *eq = strchr(a, '=');
		size_t nlen = eq && a[0] == '-' && a[1] == '-' ? (size_t)(eq - a) : strlen(a);
#define OPT(name) (strlen(name) == nlen && !strncmp(a, name, nlen))
		if (OPT("-c") || OPT("--config-file") || OPT("--user-data") || OPT("--target")) {
			if (eq && nlen != strlen(a))
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return bad_usage("an option needs a value");
			if (OPT("-c") || OPT("--config-file"))
				config = val;
			else if (OPT("--user-data"))
				user_data = val;
			else
				target = val;
		} else if (OPT("--annotate")) {
			annotate = 1;
		} else if (OPT("--json")) {
			json = 1;
		} else if (OPT("--allow-network")) {
			allow_network = 1;
		} else if (OPT("--self-check")) {
			check = 1;
		} else if (OPT("--system") || OPT("--docs") || OPT("-d")) {
			fprintf(stderr, "egs validate: %s is not supported; use --config-file\n", a);
			return 2;
		} else {
			return bad_usage(NULL);
		}
#undef OPT
	}
	if (check)
		return self_check();
	if (user_data) {
		if (config)
			return bad_usage("--user-data and --config-file exclude each other");
		struct vud_opts o = {target ? target : "all", allow_network, 0};
		return validate_user_data(user_data, &o, json, annotate);
	}
	if (target || allow_network)
		return bad_usage("--target and --allow-network need --user-data");
	if (!config) {
		fputs("Error:\nExpected one of --config-file, --system or --docs arguments\n", stderr);
		return 1;
	}
	struct verdict v;
	if (check_file(config, annotate && !json, &v) < 0) {
		verdict_free(&v);
		return 1;
	}
	int rc = json ? report_json(config, &v) : report_cloudinit(config, annotate, &v);
	verdict_free(&v);
	return rc;
}
