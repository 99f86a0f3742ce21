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
#include "prov_state.h"

static const char usage[] =
	"Usage: egs status [--format json|tabular | --json | --long] [--wait] [--root DIR]\n"
	"                  [--state-dir DIR]\n"
	"\n"
	"Show provisioning status like 'cloud-init status' (status: not run, running,\n"
	"done, error). --format json prints cloud-init's JSON; --json the original's\n"
	"fields; --wait polls until provisioning is no longer running.\n"
	"Exit status: 0, 1 when the status is error, 2 on bad arguments.\n";

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

/* The original's state.json fields, from our state. */
static void print_egs_json(struct prov_paths *p, const struct details *d)
{
	char *iidf = prov_state_path(p, "data/instance-id");
	struct strbuf iid = STRBUF_INIT;
	if (iidf)
		fs_read_file(iidf, &iid, 4096);
	free(iidf);
	sb_truncate(&iid, strcspn(sb_str(&iid), "\n"));
	static const char *const names[PROV_NSTAGES] = {"Local", "Network", NULL, "Config", "Final"};
	struct strbuf b = STRBUF_INIT;
	struct jsonw w;
	jw_init(&w, &b, 2, 0);
	jw_obj_begin(&w);
	jw_key(&w, "instanceId");
	if (iid.len)
		jw_str(&w, sb_str(&iid));
	else
		jw_null(&w);
	jw_key(&w, "completedStages");
	jw_arr_begin(&w);
	for (int i = 0; i < PROV_NSTAGES; i++)
		if (names[i] && d->st.st[i].finished >= 0)
			jw_str(&w, names[i]);
	jw_arr_end(&w);
	jw_key(&w, "status");
	jw_str(&w, d->status);
	jw_key(&w, "rebootCount");
	jw_int(&w, 0);
	char lu[64];
	double first = -1;
	for (int i = 0; i < PROV_NSTAGES; i++)
		if (d->st.st[i].start >= 0 && (first < 0 || d->st.st[i].start < first))
			first = d->st.st[i].start;
	jw_key(&w, "startedAt");
	if (first >= 0) {
		time_t t = (time_t)first;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(lu, sizeof(lu), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
		jw_str(&w, lu);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "lastUpdated");
	if (d->last >= 0) {
		time_t t = (time_t)d->last;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(lu, sizeof(lu), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
		jw_str(&w, lu);
	} else {
		jw_null(&w);
	}
	jw_obj_end(&w);
	printf("%s\n", sb_str(&b));
	sb_free(&b);
	sb_free(&iid);
}

int status_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	enum { O_FORMAT = 256, O_JSON, O_LONG, O_WAIT, O_ROOT, O_STATE };
	static const struct option opts[] = {
		{"format", required_argument, 0, O_FORMAT}, {"json", no_argument, 0, O_JSON},
		{"long", no_argument, 0, O_LONG}, {"wait", no_argument, 0, O_WAIT},
		{"root", required_argument, 0, O_ROOT}, {"state-dir", required_argument, 0, O_STATE},
		{0, 0, 0, 0}};
	int fmt = 0, lng = 0, wait = 0, c; /* fmt 0 tabular, 1 cloud-init json, 2 egs json */
	const char *root = "/", *state = NULL;
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
	while (wait && strcmp(d.status, "running") == 0) {
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
	if (fmt == 1) {
		print_ci_json(&d);
	} else if (fmt == 2) {
		print_egs_json(&p, &d);
	} else {
		printf("status: %s\n", d.status);
		if (lng) {
			char lu[64];
			last_update(&d, lu, sizeof(lu));
			printf("boot_status_code: enabled-by-sysvinit\n");
			if (lu[0])
				printf("last_update: %s\n", lu);
			printf("detail:\n%s\n", sb_str(&d.detail));
		}
	}
	int rc = strcmp(d.status, "error") == 0 ? 1 : 0;
	free_details(&d);
	prov_paths_free(&p);
	return rc;
}
