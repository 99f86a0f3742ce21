/* power-state-change (cc_power_state_change.py; common/prov_power.h):
 *
 *   power_state:
 *     delay: now | "+N" | N     minutes (default now)
 *     mode: poweroff | reboot | halt          (required)
 *     message: TEXT             shown before the change
 *     timeout: SECONDS          wait for `egs run` to end (default 30)
 *     condition: true | false | COMMAND       (default true)
 *
 * Validation is cloud-init's load_power_state (and Distro.shutdown_command
 * for delay: Python's int() of the value, "now" as it is); egs fails the
 * module with cloud-init's message where cloud-init logs it and skips
 * the change, and also rejects a negative delay (shutdown would). A
 * condition of false records nothing; a command condition is evaluated
 * by the runner after the final stage, as cloud-init's forked child does
 * once cloud-init has exited. */
#include "prov_power.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pyrepr.h"

#define POWER_FALLBACK_S 90 /* the command ran but the machine is still up */

const char *prov_power_name(int action)
{
	switch (action) {
	case PROV_POWER_POWEROFF: return "poweroff";
	case PROV_POWER_REBOOT: return "reboot";
	case PROV_POWER_HALT: return "halt";
	default: return "none";
	}
}

/* "power off", "reboot", "halt" for messages. */
static const char *verb(int action)
{
	return action == PROV_POWER_POWEROFF ? "power off" : prov_power_name(action);
}

/* Python's str() of a node. */
static void py_str(struct strbuf *out, const struct ynode *n)
{
	if (n && n->kind == Y_STR)
		sb_append(out, n->str, n->len);
	else if (py_repr(out, n, 200) < 0)
		sb_puts(out, "?");
}

static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* For a string node: a copy of its text without surrounding whitespace
 * and with the '_' that Python allows between two digits removed, and in
 * *body the part after a sign; NULL for other nodes, when an '_' stands
 * elsewhere (or on ENOMEM). */
static char *py_number_text(const struct ynode *n, const char **body)
{
	if (n->kind != Y_STR)
		return NULL;
	const char *text = n->str;
	size_t len = n->len;
	while (len && is_space(*text)) {
		text++;
		len--;
	}
	while (len && is_space(text[len - 1]))
		len--;
	char *s = malloc(len + 1);
	if (!s)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '_') {
			if (i == 0 || i + 1 == len || text[i - 1] < '0' || text[i - 1] > '9' ||
			    text[i + 1] < '0' || text[i + 1] > '9') {
				free(s);
				return NULL;
			}
			continue;
		}
		s[o++] = text[i];
	}
	s[o] = '\0';
	*body = s + (s[0] == '+' || s[0] == '-');
	return s;
}

/* Python's int(n) for delay; 0 with *v, or -1 (ValueError/TypeError). */
static int py_int(const struct ynode *n, long long *v)
{
	if (n->kind == Y_BOOL) {
		*v = n->b;
		return 0;
	}
	if (n->kind == Y_INT) {
		*v = n->big ? (n->f < 0 ? LLONG_MIN : LLONG_MAX) : n->i;
		return 0;
	}
	if (n->kind == Y_FLOAT) {
		if (!isfinite(n->f))
			return -1;
		*v = fabs(n->f) > 9e18 ? (n->f < 0 ? LLONG_MIN : LLONG_MAX) : (long long)n->f;
		return 0;
	}
	const char *p;
	char *s = py_number_text(n, &p);
	if (!s)
		return -1;
	int ok = *p != '\0' && strspn(p, "0123456789") == strlen(p);
	if (ok) {
		errno = 0;
		*v = strtoll(s, NULL, 10);
		if (errno == ERANGE)
			*v = s[0] == '-' ? LLONG_MIN : LLONG_MAX;
	}
	free(s);
	return ok ? 0 : -1;
}

/* Python's float(n) for timeout; 0 with *v, or -1. */
static int py_float(const struct ynode *n, double *v)
{
	if (n->kind == Y_BOOL || n->kind == Y_INT || n->kind == Y_FLOAT) {
		*v = n->kind == Y_BOOL ? n->b : n->kind == Y_INT && !n->big ? (double)n->i : n->f;
		return 0;
	}
	const char *p;
	char *s = py_number_text(n, &p);
	if (!s)
		return -1;
	int ok;
	if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity") || !strcasecmp(p, "nan"))
		ok = 1;
	else
		ok = *p && strspn(p, "0123456789.eE+-") == strlen(p) && strpbrk(p, "0123456789");
	if (ok) {
		char *end;
		*v = strtod(s, &end);
		ok = *end == '\0';
	}
	free(s);
	return ok ? 0 : -1;
}

static int run_power_state(struct prov_ctx *ctx, struct strbuf *err)
{
	ctx->power_action = PROV_POWER_NONE;
	ctx->power_delay_s = 0;
	ctx->power_timeout_s = 30.0;
	ctx->power_condition = NULL;
	ctx->power_message[0] = '\0';
	const struct ynode *ps = ymap_get(ctx->cfg, "power_state");
	if (!ps || ps->kind == Y_NULL) {
		log_msg(LOG_DBG, "egs.run", "no power_state provided. doing nothing");
		return 0;
	}
	if (ps->kind != Y_MAP) {
		sb_puts(err, "power_state is not a dict. Not performing power state change!");
		return -1;
	}
	const struct ynode *mode = ymap_get(ps, "mode");
	static const char *const modes[] = {"halt", "poweroff", "reboot"};
	static const int actions[] = {PROV_POWER_HALT, PROV_POWER_POWEROFF, PROV_POWER_REBOOT};
	int action = PROV_POWER_NONE;
	for (size_t i = 0; i < 3 && mode && mode->kind == Y_STR; i++)
		if (strlen(modes[i]) == mode->len && !memcmp(mode->str, modes[i], mode->len))
			action = actions[i];
	if (action == PROV_POWER_NONE) {
		sb_puts(err, "power_state[mode] required, must be one of: halt,poweroff,reboot. found: '");
		py_str(err, mode);
		sb_puts(err, "'. Not performing power state change!");
		return -1;
	}
	const struct ynode *delay = ymap_get(ps, "delay");
	long long minutes = 0;
	if (delay && !(delay->kind == Y_STR && !strcmp(delay->str, "now")) &&
	    (py_int(delay, &minutes) < 0 || minutes < 0)) {
		sb_puts(err, "power_state[delay] must be 'now' or '+m' (minutes). found '");
		py_str(err, delay);
		sb_puts(err, "'. Not performing power state change!");
		return -1;
	}
	const struct ynode *timeout = ymap_get(ps, "timeout");
	double tmo = 30.0;
	if (timeout && py_float(timeout, &tmo) < 0) {
		sb_puts(err, "failed to convert timeout '");
		py_str(err, timeout);
		sb_puts(err, "' to float. Not performing power state change!");
		return -1;
	}
	const struct ynode *cond = ymap_get(ps, "condition");
	if (cond && cond->kind != Y_BOOL && cond->kind != Y_STR && cond->kind != Y_SEQ) {
		sb_printf(err, "power_state[condition] type %s invalid. must be list, bool, str. "
		               "Not performing power state change!",
		          ykind_name(cond->kind));
		return -1;
	}
	if (cond && cond->kind == Y_BOOL && !cond->b) {
		log_msg(LOG_INF, "egs.run", "Condition was false. Will not perform state change.");
		return 0;
	}
	const struct ynode *msg = ymap_get(ps, "message");
	if (msg && ynode_truthy(msg)) {
		struct strbuf m = STRBUF_INIT;
		py_str(&m, msg);
		snprintf(ctx->power_message, sizeof(ctx->power_message), "%s", sb_str(&m));
		sb_free(&m);
	}
	ctx->power_action = action;
	ctx->power_delay_s = minutes > INT_MAX / 60 ? INT_MAX / 60 * 60 : (int)minutes * 60;
	ctx->power_timeout_s = tmo;
	ctx->power_condition = cond && cond->kind != Y_BOOL ? cond : NULL;
	log_msg(LOG_INF, "egs.run", "power_state: %s in %d s after egs run ends%s%s%s",
	        prov_power_name(action), ctx->power_delay_s, ctx->power_condition ? " (if the condition is met)" : "",
	        ctx->power_message[0] ? ", message: " : "", ctx->power_message);
	return 0;
}

int prov_power_condition(const struct prov_ctx *ctx)
{
	const struct ynode *c = ctx->power_condition;
	if (!c)
		return 1;
	char **argv = calloc(c->kind == Y_SEQ ? c->n + 1 : 4, sizeof(char *));
	if (!argv)
		return 0;
	int ok = 1;
	if (c->kind == Y_STR) {
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = (char *)c->str;
	} else {
		for (size_t i = 0; i < c->n; i++) {
			if (!c->items[i] || c->items[i]->kind != Y_STR)
				ok = 0;
			else
				argv[i] = (char *)c->items[i]->str;
		}
		if (c->n == 0)
			ok = 0;
	}
	int met = 0;
	if (!ok) {
		log_msg(LOG_WRN, "egs.run", "check_condition: every item of a condition list must be a string; do not apply change.");
	} else {
		int rc = prov_run(ctx, argv, NULL);
		if (ctx->dry_run)
			rc = 0; /* nothing ran: take the condition as met */
		if (rc == 0) {
			log_msg(LOG_INF, "egs.run", "check_condition command exited 0. condition met.");
			met = 1;
		} else if (rc == 1) {
			log_msg(LOG_INF, "egs.run", "check_condition command exited 1. condition not met.");
		} else {
			log_msg(LOG_WRN, "egs.run", "check_condition command: unexpected exit %d. do not apply change.",
			        rc);
		}
	}
	free(argv);
	return met;
}

/* Shows the message on the console, as shutdown's wall would. */
static void announce(const struct prov_ctx *ctx)
{
	if (!ctx->power_message[0])
		return;
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct strbuf b = STRBUF_INIT;
	sb_printf(&b, "egs power_state: %s\n", ctx->power_message);
	if (write(fd, b.data, b.len) < 0)
		log_msg(LOG_DBG, "egs.run", "cannot write to /dev/console: %s", strerror(errno));
	sb_free(&b);
	close(fd);
}

static void sleep_s(double s)
{
	struct timespec ts;
	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The detached child: never returns. */
static void power_child(const struct prov_ctx *ctx, pid_t parent)
{
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	/* run_after_pid_gone: wait for egs run to end, at most timeout s */
	for (double waited = 0; waited < ctx->power_timeout_s && getppid() == parent; waited += 0.25)
		sleep_s(0.25);
	if (!prov_power_condition(ctx))
		_exit(0);
	announce(ctx);
	sync();
	sleep_s(ctx->power_delay_s);
	sync();
	char *argv[] = {(char *)prov_power_name(ctx->power_action), NULL};
	if (prov_run(ctx, argv, NULL) == 0)
		sleep_s(POWER_FALLBACK_S);
	int how = ctx->power_action == PROV_POWER_REBOOT ? RB_AUTOBOOT
	          : ctx->power_action == PROV_POWER_HALT ? RB_HALT_SYSTEM
	                                                 : RB_POWER_OFF;
	sync();
	reboot(how);
	_exit(1);
}

void prov_power_perform(const struct prov_ctx *ctx, const char *simulate, struct strbuf *msg)
{
	if (ctx->power_action == PROV_POWER_NONE)
		return;
	if (simulate) {
		if (!prov_power_condition(ctx)) {
			sb_printf(msg, " power_state condition not met: no %s.", verb(ctx->power_action));
			return;
		}
		prov_action(ctx, "would %s in %d s%s%s (not performed: %s)", verb(ctx->power_action),
		            ctx->power_delay_s, ctx->power_message[0] ? ", message: " : "",
		            ctx->power_message, simulate);
		sb_printf(msg, " Would %s in %d s (not performed: %s).", verb(ctx->power_action),
		          ctx->power_delay_s, simulate);
		return;
	}
	pid_t self = getpid();
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERR, "egs.run", "power_state: cannot fork: %s", strerror(errno));
		sb_printf(msg, " power_state: cannot %s (fork: %s).", verb(ctx->power_action),
		          strerror(errno));
		return;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_IGN);
		power_child(ctx, self);
	}
	log_msg(LOG_INF, "egs.run", "After pid %ld ends, will %s in %d s%s", (long)self,
	        verb(ctx->power_action), ctx->power_delay_s,
	        ctx->power_condition ? " if the condition is met" : "");
	sb_printf(msg, " Will %s in %d s%s.", verb(ctx->power_action), ctx->power_delay_s,
	          ctx->power_condition ? " if the condition is met" : "");
}

static const char *const act_power_state[] = {"power_state", NULL};

const struct prov_module mod_power_state = {
	.name = "power-state-change",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = act_power_state,
	.run = run_power_state,
	.sem_first = 1,
};
