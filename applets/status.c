/* egs status: provisioning status in cloud-init's formats (cloud-init.md §7)
 * and the original's --json (egs-compat §12). */
#include "applets.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "jsonw.h"
#include "prov_egsstate.h"
#include "prov_state.h"

static const char usage[] =
	"Usage: egs status [--format json|tabular | --json | --long] [--wait]\n"
	"                  [--wait-timeout SECONDS] [--root DIR] [--state-dir DIR]\n"
	"\n"
	"Show provisioning status like 'cloud-init status' (status: not run, running,\n"
	"done, error). --format json prints cloud-init's JSON; --json the original's\n"
	"state.json object; --wait polls while provisioning has not run or runs\n"
	"(at most --wait-timeout seconds, default 3600).\n"
	"Exit status: 0, 1 when the status is error, 2 on bad arguments, 3 when\n"
	"--wait timed out.\n";

struct details {
	const char *status;
	char *datasource;
	struct strbuf detail;
	struct prov_status st;
	double last;
};

static void get_details(struct prov_paths *p, struct details *d)
{
	memset(d, 0, sizeof(*d));
	int rc = prov_status_load(p, &d->st, NULL);
	int running = d->st.stage >= 0 || (rc == 0 && !prov_result_exists(p));
	size_t nerr = 0;
	d->last = -1;
	for (int i = 0; i < PROV_NSTAGES; i++) {
		struct prov_stage_status *s = &d->st.st[i];
		if (s->start >= 0 && s->finished < 0)
			running = 1;
		if (s->start > d->last)
			d->last = s->start;
		if (s->finished > d->last)
			d->last = s->finished;
		nerr += s->nerrors;
	}
	const char *ds = d->st.datasource ? d->st.datasource : "";
	/* "DataSourceNoCloud [seed=..]" -> "nocloud" */
	size_t l = strcspn(ds, " ");
	d->datasource = strndup(ds, l);
	for (char *c = d->datasource; c && *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	if (d->datasource && strncmp(d->datasource, "datasource", 10) == 0)
		memmove(d->datasource, d->datasource + 10, strlen(d->datasource + 10) + 1);
	if (running) {
		d->status = "running";
		sb_printf(&d->detail, "Running in stage: %s",
		          d->st.stage >= 0 ? prov_status_keys[d->st.stage] : "");
	} else if (nerr) {
		d->status = "error";
		for (int i = 0; i < PROV_NSTAGES; i++)
			for (size_t j = 0; j < d->st.st[i].nerrors; j++)
				sb_printf(&d->detail, "%s%s", d->detail.len ? "\n" : "", d->st.st[i].errors[j]);
	} else if (d->last >= 0) {
		d->status = "done";
		sb_puts(&d->detail, ds);
	} else {
		d->status = "not run";
		sb_puts(&d->detail, "Cloud-init enabled on sysvinit");
	}
}

static void free_details(struct details *d)
{
	free(d->datasource);
	sb_free(&d->detail);
	prov_status_free(&d->st);
}

static void last_update(const struct details *d, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (d->last < 0)
		return;
	time_t t = (time_t)d->last;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void six_keys(struct jsonw *w, const struct details *d, const char *lu)
{
	jw_key(w, "boot_status_code");
	jw_str(w, "enabled-by-sysvinit");
	jw_key(w, "datasource");
	jw_str(w, d->datasource ? d->datasource : "");
	jw_key(w, "detail");
	jw_str(w, sb_str(&d->detail));
	jw_key(w, "errors");
	jw_arr_begin(w);
	for (int i = 0; i < PROV_NSTAGES; i++)
		for (size_t j = 0; j < d->st.st[i].nerrors; j++)
			jw_str(w, d->st.st[i].errors[j]);
	jw_arr_end(w);
	jw_key(w, "last_update");
	jw_str(w, lu);
}

static void print_ci_json(const struct details *d)
{
	char lu[64];
	last_update(d, lu, sizeof(lu));
	struct strbuf b = STRBUF_INIT;
	struct jsonw w;
	jw_init(&w, &b, 2, 1);
	jw_obj_begin(&w);
	jw_key(&w, "_schema_version");
	jw_str(&w, "1");
	six_keys(&w, d, lu);
	jw_key(&w, "schemas");
	jw_obj_begin(&w);
	jw_key(&w, "1");
	jw_obj_begin(&w);
	six_keys(&w, d, lu);
	jw_key(&w, "status");
	jw_str(&w, d->status);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_key(&w, "status");
	jw_str(&w, d->status);
	jw_obj_end(&w);
	printf("%s\n", sb_str(&b));
	sb_free(&b);
}

/* The original's state.json object (egs-compat §13.6), or its default
 * record when egs run has not written one. Returns 0, or 1 when the file is
 * unreadable or malformed (named on stderr). */
static int print_egs_json(const struct prov_paths *p)
{
	struct egs_state s;
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	int rc = 0;
	if (egs_state_load(p, &s, &err) < 0) {
		fprintf(stderr, "egs status: %s\n", err.len ? sb_str(&err) : "out of memory");
		rc = 1;
	} else if (egs_state_json(&s, &b) < 0) {
		fprintf(stderr, "egs status: out of memory\n");
		rc = 1;
	} else {
		fputs(sb_str(&b), stdout);
	}
	egs_state_free(&s);
	sb_free(&b);
	sb_free(&err);
	return rc;
}

/* 1 when egs run has left no state at all (neither file exists). */
static int no_state(const struct prov_paths *p)
{
	char *a = prov_state_path(p, "data/status.json");
	char *b = prov_state_path(p, EGS_STATE_FILE);
	int none = a && b && access(a, F_OK) < 0 && access(b, F_OK) < 0;
	free(a);
	free(b);
	return none;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int status_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	enum { O_FORMAT = 256, O_JSON, O_LONG, O_WAIT, O_WAIT_TIMEOUT, O_ROOT, O_STATE };
	static const struct option opts[] = {
		{"format", required_argument, 0, O_FORMAT}, {"json", no_argument, 0, O_JSON},
		{"long", no_argument, 0, O_LONG}, {"wait", no_argument, 0, O_WAIT},
		{"wait-timeout", required_argument, 0, O_WAIT_TIMEOUT},
		{"root", required_argument, 0, O_ROOT}, {"state-dir", required_argument, 0, O_STATE},
		{0, 0, 0, 0}};
	int fmt = 0, lng = 0, wait = 0, c; /* fmt 0 tabular, 1 cloud-init json, 2 egs json */
	const char *root = "/", *state = NULL;
	double wait_timeout = 3600; /* the original's 60 minutes */
	char *end;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "lw", opts, NULL)) != -1) {
		switch (c) {
		case O_FORMAT:
			if (strcmp(optarg, "json") == 0)
				fmt = 1;
			else if (strcmp(optarg, "tabular") == 0)
				fmt = 0;
			else {
				fprintf(stderr, "egs status: unknown format '%s' (json, tabular)\n", optarg);
				return 2;
			}
			break;
		case O_JSON: fmt = 2; break;
		case 'l':
		case O_LONG: lng = 1; break;
		case 'w':
		case O_WAIT: wait = 1; break;
		case O_WAIT_TIMEOUT:
			wait_timeout = strtod(optarg, &end);
			if (end == optarg || *end || !(wait_timeout >= 0 && wait_timeout <= 1e9)) {
				fprintf(stderr, "egs status: bad --wait-timeout '%s' (seconds)\n", optarg);
				return 2;
			}
			break;
		case O_ROOT: root = optarg; break;
		case O_STATE: state = optarg; break;
		default:
			fprintf(stderr, "egs status: bad option '%s'\n\n%s", argv[optind - 1], usage);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "egs status: unexpected argument '%s'\n\n%s", argv[optind], usage);
		return 2;
	}
	struct prov_paths p;
	if (prov_paths_init(&p, root, state, NULL) < 0)
		return 1;
	struct details d;
	get_details(&p, &d);
	double deadline = mono_now() + wait_timeout;
	int timed_out = 0;
	/* as cloud-init: wait while not run or running (the original: until
	 * Final is complete, also when there is no state yet) */
	while (wait && (strcmp(d.status, "running") == 0 || strcmp(d.status, "not run") == 0)) {
		if (mono_now() >= deadline) {
			timed_out = 1;
			break;
		}
		if (fmt == 0) {
			putchar('.');
			fflush(stdout);
		}
		free_details(&d);
		usleep(250000);
		get_details(&p, &d);
	}
	if (wait && fmt == 0)
		putchar('\n');
	int rc = strcmp(d.status, "error") == 0 ? 1 : 0;
	if (fmt == 1) {
		print_ci_json(&d);
	} else if (fmt == 2) {
		rc = print_egs_json(&p) ? 1 : rc;
	} else {
		printf("status: %s\n", d.status);
		if (no_state(&p))
			printf("No state file found — agent has not run yet.\n");
		if (lng) {
			char lu[64];
			last_update(&d, lu, sizeof(lu));
			printf("boot_status_code: enabled-by-sysvinit\n");
			if (lu[0])
				printf("last_update: %s\n", lu);
			printf("detail:\n%s\n", sb_str(&d.detail));
		}
	}
	if (timed_out) {
		fprintf(stderr, "Timed out waiting for provisioning to complete.\n");
		rc = 3;
	}
	free_details(&d);
	prov_paths_free(&p);
	return rc;
}
