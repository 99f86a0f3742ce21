/* egs collect-logs: a support bundle (zip) of the provisioning state, the
 * logs and the instance scripts (egs-compat §12, cloud-init.md §10),
 * written with common/zipw. Best effort: what cannot be read is skipped
 * with a note on stderr and never fails the bundle. */
#include "applets.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fsutil.h"
#include "prov_state.h"
#include "strbuf.h"
#include "version.h"
#include "zipw.h"

static const char usage[] =
	"Usage: egs collect-logs [OUTPUT] [--state-dir DIR] [--run-dir DIR] [--log-dir DIR]\n"
	"                        [--root DIR]\n"
	"\n"
	"Bundle provisioning state, logs and scripts into a zip for support.\n"
	"OUTPUT defaults to egs-logs-<UTC timestamp>.zip in the current directory;\n"
	"its parent directory is created and an existing file is replaced.\n"
	"  --state-dir DIR  cloud-init state (default ROOT/var/lib/cloud)\n"
	"  --run-dir DIR    run directory (default ROOT/run/cloud-init)\n"
	"  --log-dir DIR    agent logs (default ROOT/var/log/eryph/guest-services)\n"
	"  --root DIR       take every guest path under DIR\n"
	"Entries: state/..., run/..., logs/..., scripts/..., version.txt.\n"
	"Exit status: 0, 1 when the bundle cannot be written, 2 on bad arguments.\n";

struct bundle {
	struct zipw *z;
	int fatal;
	int skipped;
};

static void note(struct bundle *b, const char *what, const char *reason)
{
	fprintf(stderr, "egs collect-logs: skipped %s: %s\n", what, reason);
	b->skipped++;
}

/* Adds file as entry name; a skip is noted, an archive failure is fatal. */
static void add_file(struct bundle *b, const char *name, const char *file)
{
	if (b->fatal)
		return;
	struct strbuf err = STRBUF_INIT;
	int rc = zipw_add_file(b->z, name, file, &err);
	if (rc < 0) {
		fprintf(stderr, "egs collect-logs: %s\n", sb_str(&err));
		b->fatal = 1;
	} else if (rc > 0) {
		note(b, file, sb_str(&err));
	}
	sb_free(&err);
}

static int skip_name(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Adds every file under dir as prefix/<rel>, in name order. Directories
 * are entered but symlinks to directories are not (no loops); a missing
 * dir is silently nothing; exclude (a base name) is left out. */
static void add_tree(struct bundle *b, const char *dir, const char *prefix, const char *exclude)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, skip_name, alphasort);
	if (n < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			note(b, dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = list[i]->d_name;
		char *path = fs_join(dir, nm);
		char *name = fs_join(prefix, nm);
		struct stat st;
		if (!path || !name) {
			note(b, nm, "out of memory");
		} else if (exclude && strcmp(nm, exclude) == 0) {
			/* left out on purpose */
		} else if (lstat(path, &st) < 0) {
			note(b, path, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			add_tree(b, path, name, exclude);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			struct stat t;
			if (S_ISLNK(st.st_mode) && stat(path, &t) == 0 && S_ISDIR(t.st_mode))
				note(b, path, "symbolic link to a directory");
			else
				add_file(b, name, path);
		} else {
			note(b, path, "not a regular file");
		}
		free(path);
		free(name);
		free(list[i]);
	}
	free(list);
}

/* Adds file as name when it exists (no note when it does not). */
static void add_if_present(struct bundle *b, const char *name, const char *file)
{
	struct stat st;
	if (file && lstat(file, &st) == 0)
		add_file(b, name, file);
}

/* STATE/instances/<iid> of the current instance (data/instance-id; the
 * instance symlink is absolute and would leave --root), malloc'd or NULL. */
static char *instance_dir(const struct prov_paths *p)
{
	char *f = prov_state_path(p, "data/instance-id");
	struct strbuf iid = STRBUF_INIT;
	char *dir = NULL;
	if (f && fs_read_file(f, &iid, 4096) == 0) {
		sb_truncate(&iid, strcspn(sb_str(&iid), "\n"));
		char *dn = iid.len ? prov_state_iid_dirname(sb_str(&iid)) : NULL;
		struct strbuf rel = STRBUF_INIT;
		if (dn && sb_printf(&rel, "instances/%s", dn) == 0)
			dir = prov_state_path(p, sb_str(&rel));
		sb_free(&rel);
		free(dn);
	}
	free(f);
	sb_free(&iid);
	return dir;
}

static void add_version(struct bundle *b, time_t now)
{
	char ts[32];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	struct strbuf v = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	if (sb_printf(&v, "Assembly: egs\nVersion:  %s\nInformational: %s\nCollected: %s\n",
	              EGS_VERSION, EGS_VERSION, ts) < 0 ||
	    zipw_add_data(b->z, "version.txt", v.data, v.len, now, 0644, &err) < 0) {
		fprintf(stderr, "egs collect-logs: %s\n", err.len ? sb_str(&err) : "out of memory");
		b->fatal = 1;
	}
	sb_free(&v);
	sb_free(&err);
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* mkdir -p of output's parent directory. */
static int make_parent(const char *output)
{
	const char *slash = strrchr(output, '/');
	if (!slash || slash == output)
		return 0;
	char *dir = strndup(output, (size_t)(slash - output));
	if (!dir)
		return -1;
	int rc = fs_mkdir_p(dir, 0755);
	free(dir);
	return rc;
}

static int collect(const char *output, const struct prov_paths *p, const char *log_dir)
{
	if (make_parent(output) < 0) {
		fprintf(stderr, "egs collect-logs: cannot create the directory of %s: %s\n", output,
		        strerror(errno));
		return 1;
	}
	struct strbuf err = STRBUF_INIT;
	struct bundle b = {zipw_open(output, &err), 0, 0};
	if (!b.z) {
		fprintf(stderr, "egs collect-logs: %s\n", sb_str(&err));
		sb_free(&err);
		return 1;
	}
	/* state: data/ and the current instance's small files (not user-data
	 * or cloud-config: they may hold secrets) */
	char *data = prov_state_path(p, "data");
	if (data)
		add_tree(&b, data, "state/data", NULL);
	free(data);
	char *inst = instance_dir(p);
	if (inst) {
		static const char *const files[] = {"datasource", "boot-finished"};
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			char *f = fs_join(inst, files[i]);
			char *n = fs_join("state/instance", files[i]);
			if (f && n)
				add_if_present(&b, n, f);
			free(f);
			free(n);
		}
		char *sem = fs_join(inst, "sem");
		if (sem)
			add_tree(&b, sem, "state/instance/sem", NULL);
		free(sem);
	}
	add_tree(&b, p->run, "run", "instance-data-sensitive.json");
	/* logs: the agent's and cloud-init's */
	add_tree(&b, log_dir, "logs", NULL);
	static const char *const cilogs[] = {"cloud-init.log", "cloud-init-output.log"};
	for (size_t i = 0; i < sizeof(cilogs) / sizeof(cilogs[0]); i++) {
		char *var_log = fs_join(p->root, "var/log");
		char *f = var_log ? fs_join(var_log, cilogs[i]) : NULL;
		char *n = fs_join("logs", cilogs[i]);
		if (f && n)
			add_if_present(&b, n, f);
		free(var_log);
		free(f);
		free(n);
	}
	/* scripts: the instance's user-data scripts and runcmd */
	if (inst) {
		char *scripts = fs_join(inst, "scripts");
		if (scripts)
			add_tree(&b, scripts, "scripts", NULL);
		free(scripts);
	}
	free(inst);
	if (!b.fatal)
		add_version(&b, time(NULL));
	if (b.fatal) {
		zipw_abort(b.z);
		sb_free(&err);
		return 1;
	}
	sb_reset(&err);
	if (zipw_close(b.z, 0600, &err) < 0) {
		fprintf(stderr, "egs collect-logs: %s\n", sb_str(&err));
		sb_free(&err);
		return 1;
	}
	sb_free(&err);
	printf("Wrote bundle to %s\n", output);
	return 0;
}

int collect_logs_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	enum { O_STATE = 256, O_RUN, O_LOG, O_ROOT };
	static const struct option opts[] = {
		{"state-dir", required_argument, 0, O_STATE}, {"run-dir", required_argument, 0, O_RUN},
		{"log-dir", required_argument, 0, O_LOG}, {"root", required_argument, 0, O_ROOT},
		{0, 0, 0, 0}};
	const char *root = "/", *state = NULL, *run = NULL, *log_dir = NULL, *output = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_STATE: state = optarg; break;
		case O_RUN: run = optarg; break;
		case O_LOG: log_dir = optarg; break;
		case O_ROOT: root = optarg; break;
		default:
			fprintf(stderr, "egs collect-logs: bad option '%s'\n\n%s", argv[optind - 1], usage);
			return 2;
		}
	}
	if (optind < argc)
		output = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "egs collect-logs: unexpected argument '%s'\n\n%s", argv[optind], usage);
		return 2;
	}
	if (output && blank(output)) {
		fprintf(stderr, "egs collect-logs: the output path is blank\n\n%s", usage);
		return 2;
	}
	char defname[64];
	if (!output) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(defname, sizeof(defname), "egs-logs-%Y%m%dT%H%M%SZ.zip", &tm);
		output = defname;
	}
	struct prov_paths p;
	if (prov_paths_init(&p, root, state, run) < 0) {
		fprintf(stderr, "egs collect-logs: out of memory\n");
		return 1;
	}
	char *ld = log_dir ? strdup(log_dir) : fs_join(root, "var/log/eryph/guest-services");
	int rc = ld ? collect(output, &p, ld) : 1;
	free(ld);
	prov_paths_free(&p);
	return rc;
}
