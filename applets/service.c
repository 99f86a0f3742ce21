/* egs service: the guest service. Owns the listeners (AF_VSOCK port 5002
 * by default, plus unix/tcp for tests and other transports), forks one
 * process per connection and runs the embedded Dropbear server session in
 * it (egs_dropbear_serve, no exec). The parent only accepts, counts and
 * reaps; nothing a session does can take it down. */
#include "applets.h"
#include "cli.h"
#include "cloudinit_bridge.h"
#include "flags.h"
#include "guestinfo.h"
#include "hostkey.h"
#include "kvp.h"
#include "listen.h"
#include "log.h"
#include "prov_run.h"
#include "sdnotify.h"
#include "sshd.h"
#include "strbuf.h"
#include "fsutil.h"
#include "version.h"

#include <egs_hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTENERS 16

static const char usage[] =
	"Usage: egs service [OPTIONS]\n"
	"       egs-service [run|status|reset|validate|collect-logs|version ...]\n"
	"\n"
	"The eryph guest service: SSH over AF_VSOCK port 5002 (the Hyper-V socket\n"
	"service 0000138a-facb-11e6-bd58-64006a7986d3) through the embedded Dropbear.\n"
	"Log in as user 'egs' with a key from id_egs.pub (or Hyper-V KVP); sessions\n"
	"run as root. Without options it listens on vsock:5002.\n"
	"\n"
	"Options:\n"
	"  --listen SPEC        vsock:PORT, unix:PATH or tcp:HOST:PORT (repeatable)\n"
	"  --config-dir DIR     keys and flags (default /etc/opt/eryph/guest-services)\n"
	"  --kvp-dir DIR        Hyper-V KVP pools (default /var/lib/hyperv)\n"
	"  --log-dir DIR        agent.log (default /var/log/eryph/guest-services)\n"
	"  --max-sessions N     concurrent SSH connections (default 64)\n"
	"  --sysfs-dir DIR      where SMBIOS/fw_cfg credential keys are read (default /sys)\n"
	"  --provision          provision this guest at start (egs run): the local stage\n"
	"                       before READY, the others in the background; only with\n"
	"                       ProvisioningEnabled and when cloud-init is not in charge\n"
	"  --foreground         run in the foreground (always; accepted for init scripts)\n"
	"  --pidfile FILE       write the service's pid to FILE\n"
	"  --debug              log debug messages\n"
	"  --info               print this guest's facts as JSON and exit (for\n"
	"                       egs tool get-status --json)\n"
	"  --help               this text\n"
	"\n"
	"With a first argument run, status, reset, validate, collect-logs or version\n"
	"it behaves like the original egs-service's command-line verbs.\n";

struct service {
	const char *config_dir, *kvp_dir, *log_dir, *pidfile, *sysfs_dir;
	struct egs_flags flags;
	struct listen_spec specs[MAX_LISTENERS];
	int fds[MAX_LISTENERS];
	int nspecs;
	int max_sessions, sessions;
	pid_t *pids; /* the session processes, max_sessions slots (0 = free) */
	int foreground, debug, provision;
	pid_t helper;  /* the background provisioning run or cloud-init bridge */
	struct hostkey hostkey;
};

static volatile sig_atomic_t got_stop, got_child;
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGCHLD)
		got_child = 1;
	else
		got_stop = 1;
	if (wake_pipe[1] >= 0)
		(void)!write(wake_pipe[1], "x", 1);
	errno = saved;
}

/* The original's CLI verbs as the first argument of egs-service. */
static int run_verb(int argc, char **argv)
{
	const char *verb = argv[1];
	if (strcasecmp(verb, "version") == 0) {
		printf("egs-service %s\ninformational: %s (dropbear %s)\n", EGS_VERSION, EGS_VERSION,
		       egs_dropbear_version());
		return 0;
	}
	static const char *const verbs[] = {"run", "status", "reset", "validate", "collect-logs"};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcasecmp(verb, verbs[i]) == 0) {
			const struct applet *a = applet_find(verbs[i]);
			return a ? a->main(argc - 1, argv + 1) : 127;
		}
	}
	return -1;
}

static int parse_args(struct service *s, int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;
		if (strcmp(a, "--listen") == 0 && val) {
			if (s->nspecs == MAX_LISTENERS) {
				fprintf(stderr, "egs service: at most %d --listen options\n", MAX_LISTENERS);
				return -1;
			}
			if (listen_parse(val, &s->specs[s->nspecs], &err) < 0) {
				fprintf(stderr, "egs service: %s\n", sb_str(&err));
				sb_free(&err);
				return -1;
			}
			s->nspecs++;
		} else if (strcmp(a, "--config-dir") == 0 && val) {
			s->config_dir = val;
		} else if (strcmp(a, "--kvp-dir") == 0 && val) {
			s->kvp_dir = val;
		} else if (strcmp(a, "--log-dir") == 0 && val) {
			s->log_dir = val;
		} else if (strcmp(a, "--sysfs-dir") == 0 && val) {
			s->sysfs_dir = val;
		} else if (strcmp(a, "--pidfile") == 0 && val) {
			s->pidfile = val;
		} else if (strcmp(a, "--max-sessions") == 0 && val) {
			char *end;
			long n = strtol(val, &end, 10);
			if (*end || n < 1 || n > 4096) {
				fprintf(stderr, "egs service: --max-sessions wants 1..4096, not '%s'\n", val);
				return -1;
			}
			s->max_sessions = (int)n;
		} else {
			takes = 0;
			if (strcmp(a, "--foreground") == 0)
				s->foreground = 1;
			else if (strcmp(a, "--provision") == 0)
				s->provision = 1;
			else if (strcmp(a, "--debug") == 0)
				s->debug = 1;
			else {
				fprintf(stderr, "egs service: unknown or incomplete option '%s'\n\n%s", a, usage);
				return -1;
			}
		}
		i += takes;
	}
	if (s->nspecs == 0)
		listen_parse("vsock:5002", &s->specs[s->nspecs++], &err);
	sb_free(&err);
	return 0;
}

static void open_log(struct service *s)
{
	char *path = fs_join(s->log_dir, "agent.log");
	enum log_level min = s->debug ? LOG_DBG : LOG_INF;
	if (!path || fs_mkdir_p(s->log_dir, 0750) < 0 || log_open(path, 1, min) < 0) {
		log_open(NULL, 1, min);
		log_msg(LOG_WRN, "egs.service", "Cannot write %s (%s): logging to stderr only",
		        path ? path : s->log_dir, strerror(errno));
	}
	free(path);
}

/* Opens every listener. An AF_VSOCK listener that fails because the vsock
 * transport is not loaded yet is left for retry_vsock(); anything else is
 * fatal. Returns the number of open listeners, or -1. */
static int open_listeners(struct service *s)
{
	int open = 0;
	for (int i = 0; i < s->nspecs; i++) {
		struct strbuf err = STRBUF_INIT;
		s->fds[i] = listen_open(&s->specs[i], &err);
		if (s->fds[i] >= 0) {
			log_msg(LOG_INF, "egs.service", "Listening on %s", s->specs[i].text);
			open++;
		} else if (s->specs[i].kind == LISTEN_VSOCK &&
		           (errno == EAFNOSUPPORT || errno == ENODEV || errno == EADDRNOTAVAIL)) {
			log_msg(LOG_WRN, "egs.service", "%s; will retry (vsock transport not loaded yet?)",
			        sb_str(&err));
		} else {
			log_msg(LOG_ERR, "egs.service", "%s", sb_str(&err));
			sb_free(&err);
			return -1;
		}
		sb_free(&err);
	}
	return open;
}

/* Retries vsock listeners that could not be opened: systemd's generator
 * and module loading are known to race the service at boot. Logs every
 * minute while it keeps failing. */
static void retry_vsock(struct service *s, time_t *last_log)
{
	time_t now = time(NULL);
	for (int i = 0; i < s->nspecs; i++) {
		if (s->fds[i] >= 0)
			continue;
		struct strbuf err = STRBUF_INIT;
		s->fds[i] = listen_open(&s->specs[i], &err);
		if (s->fds[i] >= 0)
			log_msg(LOG_INF, "egs.service", "Listening on %s", s->specs[i].text);
		else if (now - *last_log >= 60) {
			log_msg(LOG_WRN, "egs.service", "%s; still retrying", sb_str(&err));
			*last_log = now;
		}
		sb_free(&err);
	}
}

static void reap(struct service *s)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->helper) {
			log_msg(LOG_INF, "egs.service", "Background provisioning/bridge process ended (%d)",
			        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			s->helper = 0;
			continue;
		}
		for (int i = 0; i < s->max_sessions; i++) {
			if (s->pids[i] == pid) {
				s->pids[i] = 0;
				s->sessions--;
				break;
			}
		}
		if (WIFSIGNALED(status))
			log_msg(LOG_WRN, "egs.service", "Session process %d killed by signal %d", (int)pid,
			        WTERMSIG(status));
		else
			log_msg(LOG_DBG, "egs.service", "Session process %d exited with %d", (int)pid,
			        WEXITSTATUS(status));
	}
}

/* The forked session process: becomes one Dropbear server session. */
static void serve_connection(struct service *s, int fd)
{
	for (int i = 0; i < s->nspecs; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	close(wake_pipe[0]);
	close(wake_pipe[1]);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	/* Dropbear options: pass the service environment on (HOME, TERM as
	 * the original), no port forwarding (until
	 * PortForwardingEnabled), 5 auth attempts as the original. */
	char *dbargv[] = {"egs-service", "-e", "-T", "5", "-j", "-k", NULL};
	egs_dropbear_serve(fd, s->flags.port_forwarding ? 4 : 6, dbargv);
	_exit(1);
}

static void accept_on(struct service *s, int lfd)
{
	for (;;) {
		if (s->sessions >= s->max_sessions)
			reap(s); /* sessions may have ended since the last SIGCHLD */
		if (s->sessions >= s->max_sessions) {
			/* at the limit: new connections wait in the listen backlog
			 * (the poll loop stops watching the listeners) until a
			 * session ends, instead of being refused */
			log_msg(LOG_DBG, "egs.service", "%d sessions open (--max-sessions): waiting",
			        s->sessions);
			return;
		}
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_msg(LOG_WRN, "egs.service", "accept: %s", strerror(errno));
			return;
		}
		pid_t pid = fork();
		if (pid == 0)
			serve_connection(s, fd);
		if (pid < 0) {
			log_msg(LOG_ERR, "egs.service", "fork: %s", strerror(errno));
		} else {
			for (int i = 0; i < s->max_sessions; i++) {
				if (s->pids[i] == 0) {
					s->pids[i] = pid;
					break;
				}
			}
			s->sessions++;
		}
		close(fd);
	}
}

static int write_pidfile(const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	return fs_write_atomic(path, buf, (size_t)n, 0644);
}

static int setup_signals(void)
{
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGCHLD, &sa, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* The guest pool keys the host reads (egs-compat §3.3): on start status,
 * version, operating-system and features; on stop status and features are
 * removed and version/operating-system written again. A missing pool is
 * normal outside Hyper-V (the original fails to start there; egs does not). */
static void publish_status(struct service *s, int up)
{
	struct utsname u;
	char os[3 * sizeof(u.release) + 4] = "Linux";
	if (uname(&u) == 0)
		snprintf(os, sizeof(os), "%s %s %s", u.sysname, u.release, u.version);
	const char *features = s->flags.port_forwarding ? "shell-override port-forwarding"
	                                                : "shell-override";
	struct kvp_change ch[] = {
		{"eryph:guest-services:status", up ? "available" : NULL},
		{"eryph:guest-services:version", EGS_VERSION},
		{"eryph:guest-services:operating-system", os},
		{"eryph:guest-services:features", up ? features : NULL},
	};
	struct strbuf err = STRBUF_INIT;
	if (kvp_update(s->kvp_dir, KVP_POOL_GUEST, ch, 4, 0, &err) == 0)
		log_msg(LOG_INF, "egs.service", "KVP status %s", up ? "available" : "removed");
	else if (errno == ENOENT)
		log_msg(LOG_DBG, "egs.service", "No KVP pool in %s (not Hyper-V): status not published",
		        s->kvp_dir);
	else
		log_msg(LOG_WRN, "egs.service", "KVP status not written: %s", sb_str(&err));
	sb_free(&err);
}

/* Runs an applet in a child process with default signals; returns its
 * pid (the caller waits), or -1. */
static pid_t spawn_applet(struct service *s, int (*main_fn)(int, char **), char **argv, int argc)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	for (int i = 0; i < s->nspecs; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	_exit(main_fn(argc, argv));
}

static int bridge_main(int argc, char **argv)
{
	cib_loop(argv[1]);
	return 0;
}

static int provision_rest_main(int argc, char **argv)
{
	static const char *const stages[] = {"network", "config", "final"};
	int rc = 0;
	for (size_t i = 0; i < 3; i++) {
		char *rargv[] = {"run", "--stage", (char *)stages[i], NULL};
		pid_t pid = fork();
		if (pid == 0)
			_exit(run_main(3, rargv));
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) < 0)
			return 1;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	}
	return rc;
}

/* Provisioning at start (--provision): when real cloud-init is installed
 * and enabled it provisions and egs only bridges its status to KVP (the
 * original's behaviour, egs-compat §10); otherwise egs run's local stage
 * runs before READY and the other stages in the background. */
static void start_provisioning(struct service *s)
{
	char why[256] = "";
	if (cib_cloudinit_available() && prov_cloudinit_enabled("/", NULL, why, sizeof(why))) {
		char *argv[] = {"cloud-init-bridge", (char *)s->kvp_dir, NULL};
		s->helper = spawn_applet(s, bridge_main, argv, 2);
		log_msg(LOG_INF, "egs.service", "cloud-init provisions this guest (%s): bridging its status to KVP",
		        why);
		return;
	}
	if (!s->provision || !s->flags.provisioning)
		return;
	char *local[] = {"run", "--stage", "local", NULL};
	pid_t pid = spawn_applet(s, run_main, local, 3);
	int st;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid < 0)
		log_msg(LOG_ERR, "egs.service", "cannot start egs run: %s", strerror(errno));
	char *rest[] = {"run", NULL};
	s->helper = spawn_applet(s, provision_rest_main, rest, 1);
}

/* Stop: no new connections; sessions get stop_timeout seconds to end. */
static void shut_down(struct service *s, int stop_timeout)
{
	for (int i = 0; i < s->nspecs; i++) {
		if (s->fds[i] >= 0)
			close(s->fds[i]);
		s->fds[i] = -1;
		if (s->specs[i].kind == LISTEN_UNIX)
			unlink(s->specs[i].path);
	}
	sd_notify_send("STOPPING=1");
	log_msg(LOG_INF, "egs.service", "Stopping; %d session(s) open", s->sessions);
	if (s->flags.remote_access)
		publish_status(s, 0);
	if (s->helper > 0)
		kill(s->helper, SIGTERM);
	for (int t = 0; s->sessions > 0 && t < stop_timeout * 10; t++) {
		reap(s);
		if (s->sessions > 0)
			usleep(100000);
	}
	if (s->sessions > 0) {
		log_msg(LOG_WRN, "egs.service", "Ending %d session(s) still open", s->sessions);
		for (int i = 0; i < s->max_sessions; i++)
			if (s->pids[i] > 0)
				kill(s->pids[i], SIGTERM);
	}
}

int service_main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] != '-') {
		int rc = run_verb(argc, argv);
		if (rc >= 0)
			return rc;
	}
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--info") == 0) {
		struct strbuf info = STRBUF_INIT;
		int rc = guestinfo_json(&info) == 0 && fputs(sb_str(&info), stdout) >= 0 ? 0 : 1;
		sb_free(&info);
		return rc;
	}
	struct service s = {
		.config_dir = "/etc/opt/eryph/guest-services",
		.kvp_dir = "/var/lib/hyperv",
		.log_dir = "/var/log/eryph/guest-services",
		.max_sessions = 64,
		.sysfs_dir = "/sys",
	};
	if (parse_args(&s, argc, argv) < 0)
		return 2;
	s.pids = calloc((size_t)s.max_sessions, sizeof(pid_t));
	if (!s.pids) {
		fprintf(stderr, "egs service: out of memory\n");
		return 1;
	}
	open_log(&s);
	log_msg(LOG_INF, "egs.service", "Starting eryph guest services %s...", EGS_VERSION);

	struct strbuf err = STRBUF_INIT;
	int created;
	if (fs_mkdir_p(s.config_dir, 0755) < 0 ||
	    hostkey_load_or_create(s.config_dir, &s.hostkey, &created, &err) < 0) {
		log_msg(LOG_FTL, "egs.service", "Host key: %s",
		        err.len ? sb_str(&err) : strerror(errno));
		return 1;
	}
	if (created)
		log_msg(LOG_INF, "egs.service", "Generated a new ECDSA P-256 host key in %s/private",
		        s.config_dir);
	sb_free(&err);
	char *flags_path = fs_join(s.config_dir, FLAGS_FILE);
	if (!flags_path || flags_load(flags_path, &s.flags) < 0) {
		if (errno != ENOENT)
			log_msg(LOG_WRN, "egs.service", "Cannot read %s (%s): using defaults",
			        flags_path ? flags_path : FLAGS_FILE, strerror(errno));
		flags_defaults(&s.flags);
	}
	free(flags_path);
	log_msg(LOG_INF, "egs.service", "RemoteAccessEnabled=%d KvpAuthEnabled=%d PortForwardingEnabled=%d",
	        s.flags.remote_access, s.flags.kvp_auth, s.flags.port_forwarding);
	sshd_settings.config_dir = s.config_dir;
	sshd_settings.kvp_dir = s.kvp_dir;
	sshd_settings.sysfs_dir = s.sysfs_dir;
	sshd_settings.kvp_auth = s.flags.kvp_auth;
	sshd_settings.hostkey = (const unsigned char *)s.hostkey.wire_priv.data;
	sshd_settings.hostkey_len = s.hostkey.wire_priv.len;
	sshd_settings.service_shell = getenv("SHELL");
	sshd_settings.sftp_main = sftp_server_main;

	if (setup_signals() < 0) {
		log_msg(LOG_FTL, "egs.service", "signal setup: %s", strerror(errno));
		return 1;
	}
	if (!s.flags.remote_access) {
		/* as the original: no listener and no KVP status; stay up so the
		 * init system sees a healthy service */
		s.nspecs = 0;
		log_msg(LOG_INF, "egs.service", "Remote access is disabled (RemoteAccessEnabled=0)");
	} else if (open_listeners(&s) < 0) {
		return 1;
	}
	if (s.pidfile && write_pidfile(s.pidfile) < 0)
		log_msg(LOG_WRN, "egs.service", "Cannot write %s: %s", s.pidfile, strerror(errno));
	start_provisioning(&s);
	if (s.flags.remote_access) {
		publish_status(&s, 1);
		log_msg(LOG_INF, "egs.service", "SSH transport listening; remote access is available.");
	}
	sd_notify_send("READY=1");

	time_t last_vsock_log = time(NULL);
	while (!got_stop) {
		struct pollfd pfd[MAX_LISTENERS + 1];
		int map[MAX_LISTENERS + 1], n = 0, missing = 0;
		pfd[n].fd = wake_pipe[0];
		pfd[n++].events = POLLIN;
		int full = s.sessions >= s.max_sessions;
		for (int i = 0; i < s.nspecs; i++) {
			if (s.fds[i] < 0) {
				missing = 1;
				continue;
			}
			if (full)
				continue; /* SIGCHLD wakes us when a session ends */
			map[n] = i;
			pfd[n].fd = s.fds[i];
			pfd[n++].events = POLLIN;
		}
		int rc = poll(pfd, (nfds_t)n, missing ? 2000 : -1);
		if (rc < 0 && errno != EINTR) {
			log_msg(LOG_FTL, "egs.service", "poll: %s", strerror(errno));
			break;
		}
		if (rc > 0 && (pfd[0].revents & POLLIN)) {
			char drain[64];
			while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
				;
		}
		if (got_child) {
			got_child = 0;
			reap(&s);
		}
		for (int k = 1; rc > 0 && k < n; k++)
			if (pfd[k].revents & POLLIN)
				accept_on(&s, s.fds[map[k]]);
		if (missing)
			retry_vsock(&s, &last_vsock_log);
	}
	shut_down(&s, 10);
	if (s.pidfile)
		unlink(s.pidfile);
	hostkey_free(&s.hostkey);
	free(s.pids);
	log_msg(LOG_INF, "egs.service", "Stopped.");
	return 0;
}
