/* egs validate: a drop-in for `cloud-init schema --config-file FILE`
 * (cloud-init 22.4.2: same arguments, output layout and exit codes), plus
 * the original egs-service form `validate --user-data PATH [--target T]`,
 * `--json` machine output and `--self-check` for the build. */
#include "applets.h"
#include "cli.h"
#include "fsutil.h"
#include "jsonw.h"
#include "schema.h"
#include "strbuf.h"
#include "yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
	"Usage: egs validate --config-file FILE [--annotate] [--json]\n"
	"       egs validate --user-data PATH [--target windows|linux|all]\n"
	"       egs validate --self-check\n"
	"\n"
	"Validate cloud-config user-data like 'cloud-init schema --config-file'\n"
	"(cloud-init 22.4.2's schema, embedded).\n"
	"\n"
	"  -c, --config-file FILE  the cloud-config to check; exit 0 valid, 1 invalid\n"
	"  --annotate              print FILE with the problems marked on their lines\n"
	"  --json                  print the verdict as JSON on stdout\n"
	"  --user-data PATH        the original egs-service form: exit 0 valid,\n"
	"                          1 rejected, 2 unreadable or not parseable\n"
	"  --target T              with --user-data: windows, linux or all\n"
	"  --self-check            exit 1 if the schema uses a keyword this\n"
	"                          validator does not implement\n";

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

/* cloud-init's _Annotator: the file with "\t\t# E1,D1" labels and footers. */
static void print_annotated(const struct verdict *v)
{
	size_t nerr = v->have_res ? v->res.nerrors : 1;
	size_t ndep = v->have_res ? v->res.ndeprecations : 0;
	struct strbuf footer_e = STRBUF_INIT, footer_d = STRBUF_INIT;
	int ei = 1, di = 1;
	const char *p = v->content.data ? v->content.data : "";
	const char *end = p + v->content.len;
	int lineno = 1;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		fwrite(p, 1, len, stdout);
		struct strbuf labels = STRBUF_INIT;
		for (size_t i = 0; i < nerr; i++) {
			int line = v->have_res ? (v->res.errors[i].line ? v->res.errors[i].line : 1) : v->line;
			const char *msg = v->have_res ? v->res.errors[i].message : v->message;
			if (line != lineno)
				continue;
			sb_printf(&labels, "%sE%d", labels.len ? "," : "", ei);
			sb_printf(&footer_e, "# E%d: %s\n", ei++, msg);
		}
		for (size_t i = 0; i < ndep; i++) {
			int line = v->res.deprecations[i].line ? v->res.deprecations[i].line : 1;
			if (line != lineno)
				continue;
			sb_printf(&labels, "%sD%d", labels.len ? "," : "", di);
			sb_printf(&footer_d, "# D%d: %s\n", di++, v->res.deprecations[i].message);
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
	if (footer_e.len) {
		footer_e.data[--footer_e.len] = 0;
		printf("\n# Errors: -------------\n%s\n\n", sb_str(&footer_e));
	}
	if (footer_d.len) {
		footer_d.data[--footer_d.len] = 0;
		printf("\n# Deprecations: -------------\n%s\n\n", sb_str(&footer_d));
	}
	putchar('\n');
	sb_free(&footer_e);
	sb_free(&footer_d);
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

static void json_problems(struct jsonw *w, const char *key, const struct schema_problem *p, size_t n)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_key(w, "path");
		jw_str(w, p[i].path);
		jw_key(w, "message");
		jw_str(w, p[i].message);
		jw_key(w, "line");
		jw_int(w, p[i].line);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static int report_json(const char *path, struct verdict *v)
{
	static const char *const kinds[] = {"valid", "missing", "unreadable", "header",
	                                    "yaml", "not-a-dict", "schema"};
	int valid = v->kind == V_VALID || (v->kind == V_SCHEMA && !v->res.nerrors);
	struct strbuf out = STRBUF_INIT;
	struct jsonw w;
	jw_init(&w, &out, 2, 0);
	jw_obj_begin(&w);
	jw_key(&w, "file");
	jw_str(&w, path);
	jw_key(&w, "valid");
	jw_bool(&w, valid);
	jw_key(&w, "result");
	jw_str(&w, kinds[v->kind]);
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

/* The original's `egs-service validate --user-data PATH [--target T]`. */
static int validate_user_data(const char *path, const char *target)
{
	if (strcmp(target, "windows") && strcmp(target, "linux") && strcmp(target, "all")) {
		fprintf(stderr, "Invalid target '%s': expected windows, linux or all.\n", target);
		return 2;
	}
	struct strbuf content = STRBUF_INIT;
	if (fs_read_file(path, &content, MAX_CONFIG) < 0) {
		fprintf(stderr, "Cannot read user-data file '%s': %s\n", path, strerror(errno));
		return 2;
	}
	int rc = 0;
	if (content.len < strlen(HEADER) || memcmp(content.data, HEADER, strlen(HEADER))) {
		/* Not a cloud-config: scripts and the like have no schema. */
		puts("User-data is valid.");
		sb_free(&content);
		return 0;
	}
	struct yaml_error yerr;
	struct ydoc *doc = yaml_load(content.data, content.len, path, &yerr);
	if (!doc) {
		fprintf(stderr, "Failed to parse user-data: line %d column %d: %s\n", yerr.line,
		        yerr.col, yerr.message ? yerr.message : "");
		yaml_error_free(&yerr);
		sb_free(&content);
		return 2;
	}
	struct ynode *root = ydoc_root(doc);
	if (root->kind == Y_NULL) {
		puts("User-data is valid.");
	} else if (root->kind != Y_MAP) {
		fputs("Failed to parse user-data: cloud-config is not a YAML mapping.\n", stderr);
		rc = 2;
	} else {
		struct schema *s = schema_load_embedded();
		struct schema_result res;
		if (!s || schema_validate(s, root, &res) < 0) {
			rc = 2;
		} else {
			if (res.nerrors) {
				puts("Validation failed:");
				for (size_t i = 0; i < res.nerrors; i++)
					printf("  - %s: %s\n", *res.errors[i].path ? res.errors[i].path : "(top level)",
					       res.errors[i].message);
				rc = 1;
			} else {
				for (size_t i = 0; i < res.ndeprecations; i++)
					printf("Warning: %s: %s\n", res.deprecations[i].path,
					       res.deprecations[i].message);
				puts("User-data is valid.");
			}
			schema_result_free(&res);
		}
		schema_free(s);
	}
	ydoc_free(doc);
	sb_free(&content);
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
	int annotate = 0, json = 0, check = 0;
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
		return validate_user_data(user_data, target ? target : "all");
	}
	if (target)
		return bad_usage("--target needs --user-data");
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
