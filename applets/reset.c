/* egs reset: forget the provisioning state so that the next `egs run`
 * provisions again (egs-compat §12), mapped onto cloud-init's layout
 * (cloud-init.md §6); the mapping is documented in docs/provisioning.md.
 * Messages and exit codes are the original's: "Removing:" and the list,
 * then per item "Deleted file:", "Deleted directory:" or "Not present:",
 * then "Removed N item(s)."; exit 1 on the first failed deletion. */
#include "applets.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "prov_state.h"
#include "strbuf.h"

static const char usage[] =
	"Usage: egs reset [--logs] [--scripts] [--reset-once] [--keep-per-boot]\n"
	"                 [--state-dir DIR] [--run-dir DIR] [--root DIR] [-y|--yes]\n"
	"\n"
	"Forget provisioning state so that the next 'egs run' provisions again.\n"
	"Always: status.json, result.json, instance-id, the instance link, every\n"
	"instance's semaphores (instances/*/sem) and the recorded boot id.\n"
	"  --keep-per-boot  keep per-boot state (RUN/sem, instances/*/boot-finished)\n"
	"  --reset-once     also the once-ever semaphores (STATE/sem/*.once)\n"
	"  --scripts        also the instance scripts (instances/*/scripts)\n"
	"  --logs           also ROOT/var/log/cloud-init.log and cloud-init-output.log\n"
	"  --state-dir DIR  cloud-init state (default ROOT/var/lib/cloud)\n"
	"  --run-dir DIR    run directory (default ROOT/run/cloud-init)\n"
	"  --root DIR       take every guest path under DIR\n"
	"  -y, --yes        accepted for compatibility (never asks)\n"
	"Exit status: 0, 1 when a deletion fails, 2 on bad arguments.\n";

struct items {
	char **path;
	size_t n, cap;
};

/* Takes ownership of path (NULL: out of memory). Returns 0 or -1. */
static int push(struct items *it, char *path)
{
	if (!path)
		return -1;
	if (it->n == it->cap) {
		size_t nc = it->cap ? it->cap * 2 : 16;
		char **np = realloc(it->path, nc * sizeof(*np));
		if (!np) {
			free(path);
			return -1;
		}
		it->path = np;
		it->cap = nc;
	}
	it->path[it->n++] = path;
	return 0;
}

static int push_join(struct items *it, const char *dir, const char *name)
{
	return push(it, fs_join(dir, name));
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* For every entry E of dir (sorted): dir/E/sub, or dir/E when sub is NULL
 * and E ends with suffix. A missing dir adds nothing. */
static int push_each(struct items *it, const char *dir, const char *sub, const char *suffix)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, skip_dots, alphasort);
	if (n < 0)
		return 0;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = list[i]->d_name;
		size_t l = strlen(nm), sl = suffix ? strlen(suffix) : 0;
		if (rc == 0 && sub) {
			char *d = fs_join(dir, nm);
			rc = d ? push_join(it, d, sub) : -1;
			free(d);
		} else if (rc == 0 && l > sl && strcmp(nm + l - sl, suffix) == 0) {
			rc = push_join(it, dir, nm);
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

struct reset_opts {
	int logs, scripts, once, keep_per_boot;
};

static int build(struct items *it, const struct prov_paths *p, const struct reset_opts *o)
{
	static const char *const data[] = {"data/status.json", "data/result.json",
	                                   "data/instance-id", "data/previous-instance-id",
	                                   "data/egs-state.json", "data/boot-id", "instance"};
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		if (push(it, prov_state_path(p, data[i])) < 0)
			return -1;
	static const char *const run[] = {"status.json", "result.json", ".instance-id"};
	for (size_t i = 0; i < sizeof(run) / sizeof(run[0]); i++)
		if (push_join(it, p->run, run[i]) < 0)
			return -1;
	char *instances = prov_state_path(p, "instances");
	if (!instances || push_each(it, instances, "sem", NULL) < 0)
		goto fail;
	if (!o->keep_per_boot &&
	    (push_join(it, p->run, "sem") < 0 || push_each(it, instances, "boot-finished", NULL) < 0))
		goto fail;
	if (o->once) {
		char *sem = prov_state_path(p, "sem");
		int rc = sem ? push_each(it, sem, NULL, ".once") : -1;
		free(sem);
		if (rc < 0)
			goto fail;
	}
	if (o->scripts && push_each(it, instances, "scripts", NULL) < 0)
		goto fail;
	free(instances);
	if (o->logs) {
		char *var_log = fs_join(p->root, "var/log");
		int rc = var_log && push_join(it, var_log, "cloud-init.log") == 0 &&
		                 push_join(it, var_log, "cloud-init-output.log") == 0
		             ? 0
		             : -1;
		free(var_log);
		return rc;
	}
	return 0;
fail:
	free(instances);
	return -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* Deletes one item: prints what happened. Returns 1 deleted, 0 not
 * present, -1 failed (message on stderr). */
static int delete_item(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			printf("Not present: %s\n", path);
			return 0;
		}
	} else if (S_ISDIR(st.st_mode)) {
		if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0) {
			printf("Deleted directory: %s\n", path);
			return 1;
		}
	} else if (unlink(path) == 0) {
		printf("Deleted file: %s\n", path);
		return 1;
	}
	fflush(stdout);
	fprintf(stderr, "egs reset: cannot delete %s: %s\n", path, strerror(errno));
	return -1;
}

int reset_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	enum { O_LOGS = 256, O_SCRIPTS, O_ONCE, O_KEEP, O_STATE, O_RUN, O_ROOT };
	static const struct option opts[] = {
		{"logs", no_argument, 0, O_LOGS}, {"scripts", no_argument, 0, O_SCRIPTS},
		{"reset-once", no_argument, 0, O_ONCE}, {"keep-per-boot", no_argument, 0, O_KEEP},
		{"state-dir", required_argument, 0, O_STATE}, {"run-dir", required_argument, 0, O_RUN},
		{"root", required_argument, 0, O_ROOT}, {"yes", no_argument, 0, 'y'},
		{0, 0, 0, 0}};
	struct reset_opts o = {0, 0, 0, 0};
	const char *root = "/", *state = NULL, *run = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "y", opts, NULL)) != -1) {
		switch (c) {
		case O_LOGS: o.logs = 1; break;
		case O_SCRIPTS: o.scripts = 1; break;
		case O_ONCE: o.once = 1; break;
		case O_KEEP: o.keep_per_boot = 1; break;
		case O_STATE: state = optarg; break;
		case O_RUN: run = optarg; break;
		case O_ROOT: root = optarg; break;
		case 'y': break;
		default:
			fprintf(stderr, "egs reset: bad option '%s'\n\n%s", argv[optind - 1], usage);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "egs reset: unexpected argument '%s'\n\n%s", argv[optind], usage);
		return 2;
	}
	struct prov_paths p;
	struct items it = {NULL, 0, 0};
	if (prov_paths_init(&p, root, state, run) < 0 || build(&it, &p, &o) < 0) {
		fprintf(stderr, "egs reset: out of memory\n");
		return 1;
	}
	printf("Removing:\n");
	for (size_t i = 0; i < it.n; i++)
		printf("  %s\n", it.path[i]);
	int removed = 0, rc = 0;
	for (size_t i = 0; i < it.n && rc == 0; i++) {
		int r = delete_item(it.path[i]);
		if (r < 0)
			rc = 1;
		else
			removed += r;
	}
	if (rc == 0)
		printf("Removed %d item(s).\n", removed);
	for (size_t i = 0; i < it.n; i++)
		free(it.path[i]);
	free(it.path);
	prov_paths_free(&p);
	return rc;
}
