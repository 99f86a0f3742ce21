/* Dropbear-side half of the egs embedding: translates between Dropbear's
 * internals (ses, sign_key, buffer) and the plain-C hooks egs provides.
 * Compiled against the patched Dropbear tree by dropbear.mk. */
#include "includes.h"
#include "dbutil.h"
#include "session.h"
#include "signkey.h"
#include "buffer.h"
#include "packet.h"
#include "ssh.h"
#include "egs_glue.h"

#include <sys/un.h>

/* The 16-byte kernel ABI of struct sockaddr_vm; musl's include path has
 * no <linux/vm_sockets.h>. */
struct glue_sockaddr_vm {
	unsigned short svm_family;
	unsigned short svm_reserved1;
	unsigned int svm_port;
	unsigned int svm_cid;
	unsigned char svm_zero[4];
};
#define GLUE_AF_VSOCK 40

static void glue_log(int priority, const char *format, va_list param)
{
	char line[1024];
	vsnprintf(line, sizeof(line), format, param);
	egs_hook_log(priority, line);
}

void egs_glue_setup(void)
{
	_dropbear_log = glue_log;
}

const char *egs_dropbear_version(void)
{
	return DROPBEAR_VERSION;
}

void egs_glue_addrstring(const struct sockaddr_storage *addr, char *host, unsigned hostlen,
                         char *serv, unsigned servlen)
{
	if (addr->ss_family == GLUE_AF_VSOCK) {
		const struct glue_sockaddr_vm *vm = (const struct glue_sockaddr_vm *)addr;
		snprintf(host, hostlen, "vsock-%u", vm->svm_cid);
		snprintf(serv, servlen, "%u", vm->svm_port);
	} else {
		snprintf(host, hostlen, "%s", addr->ss_family == AF_UNIX ? "unix" : "local");
		snprintf(serv, servlen, "0");
	}
}

void egs_glue_fill_passwd(const char *username)
{
	if (!egs_hook_login_user(username)) {
		return; /* pw_name stays NULL: "nonexistent user" */
	}
	fill_passwd("root");
	if (!ses.authstate.pw_name) {
		/* minimal guests (initramfs) may have no /etc/passwd */
		ses.authstate.pw_uid = 0;
		ses.authstate.pw_gid = 0;
		ses.authstate.pw_name = m_strdup("root");
		ses.authstate.pw_dir = m_strdup("/root");
		ses.authstate.pw_shell = m_strdup("/bin/sh");
		ses.authstate.pw_passwd = m_strdup("!");
	}
}

int egs_glue_checkpubkey(const char *algo, unsigned int algolen,
                         const unsigned char *blob, unsigned int bloblen)
{
	char name[64];
	if (algolen >= sizeof(name)) {
		return DROPBEAR_FAILURE;
	}
	memcpy(name, algo, algolen);
	name[algolen] = '\0';
	return egs_hook_key_allowed(name, blob, bloblen) ? DROPBEAR_SUCCESS : DROPBEAR_FAILURE;
}

int egs_glue_load_hostkeys(sign_key *hostkey)
{
	const unsigned char *blob;
	unsigned int len;
	enum signkey_type type = DROPBEAR_SIGNKEY_ANY;
	int loaded = 0;

	if (!egs_hook_hostkey(&blob, &len)) {
		return 0;
	}
	buffer *buf = buf_new(len);
	buf_putbytes(buf, blob, len);
	buf_setpos(buf, 0);
	sign_key *key = new_sign_key();
	if (buf_get_priv_key(buf, key, &type) == DROPBEAR_SUCCESS) {
#if DROPBEAR_ECDSA && DROPBEAR_ECC_256
		if (type == DROPBEAR_SIGNKEY_ECDSA_NISTP256 && key->ecckey256) {
			hostkey->ecckey256 = key->ecckey256;
			key->ecckey256 = NULL;
			loaded++;
		}
#endif
	}
	if (!loaded) {
		dropbear_log(LOG_ERR, "egs: host key from egs could not be used");
	}
	sign_key_free(key);
	buf_burn_free(buf);
	return loaded;
}

int egs_glue_subsystem(const char *name)
{
	return name && egs_hook_subsystem(name);
}

#define EGS_MAX_ENV 16

struct egs_chan {
	char *shell, *shell_args;             /* env SHELL, SHELL_ARGS */
	char *env_name[EGS_MAX_ENV], *env_value[EGS_MAX_ENV];
	int nenv;
	char *req_type;                       /* a pending *@eryph.io request */
	unsigned char *req_payload;
	unsigned int req_len;
	int status_r, status_w;
};

static struct egs_chan *chan_get(struct egs_chan **chan)
{
	if (!*chan) {
		*chan = m_malloc(sizeof(**chan));
		memset(*chan, 0, sizeof(**chan));
		(*chan)->status_r = (*chan)->status_w = -1;
	}
	return *chan;
}

void egs_glue_chan_free(struct egs_chan *c)
{
	int i;
	if (!c) {
		return;
	}
	m_free(c->shell);
	m_free(c->shell_args);
	for (i = 0; i < c->nenv; i++) {
		m_free(c->env_name[i]);
		m_free(c->env_value[i]);
	}
	m_free(c->req_type);
	m_free(c->req_payload);
	if (c->status_r >= 0) {
		m_close(c->status_r);
	}
	if (c->status_w >= 0) {
		m_close(c->status_w);
	}
	m_free(c);
}

static void reset_child(int maxfd, int keep)
{
	int i;
	/* execv() would reset Dropbear's handlers; egs may not exec */
	if (signal(SIGPIPE, SIG_DFL) == SIG_ERR || signal(SIGCHLD, SIG_DFL) == SIG_ERR
			|| signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR
			|| signal(SIGSEGV, SIG_DFL) == SIG_ERR) {
		dropbear_exit("signal() error");
	}
	/* nothing of the session (socket, keys) may leak into the child */
	for (i = 3; i <= maxfd; i++) {
		if (i != keep) {
			m_close(i);
		}
	}
}

void egs_glue_exec(const char *cmd, int subsystem, int pty, const struct egs_chan *c,
                   int maxfd)
{
	struct egs_exec_request req;
	int i;

	memset(&req, 0, sizeof(req));
	req.command = subsystem ? NULL : cmd;
	req.subsystem = subsystem ? cmd : NULL;
	req.pty = pty;
	if (c) {
		req.env_shell = c->shell;
		req.env_shell_args = c->shell_args;
		for (i = 0; i < c->nenv; i++) {
			setenv(c->env_name[i], c->env_value[i], 1);
		}
	}
	reset_child(maxfd, -1);
	egs_hook_exec(&req);
}

int egs_glue_env(struct egs_chan **chan, int started)
{
	unsigned int nlen, vlen;
	char *name = buf_getstring(ses.payload, &nlen);
	char *value = buf_getstring(ses.payload, &vlen);
	int ret = DROPBEAR_FAILURE;
	struct egs_chan *c;
	int i;

	if (started || strlen(name) != nlen || strlen(value) != vlen
			|| !egs_hook_env_allowed(name)) {
		goto out;
	}
	c = chan_get(chan);
	if (strcmp(name, "SHELL") == 0) {
		m_free(c->shell);
		c->shell = value;
		value = NULL;
	} else if (strcmp(name, "SHELL_ARGS") == 0) {
		m_free(c->shell_args);
		c->shell_args = value;
		value = NULL;
	} else {
		for (i = 0; i < c->nenv && strcmp(c->env_name[i], name) != 0; i++) {
		}
		if (i == EGS_MAX_ENV) {
			goto out;
		}
		if (i == c->nenv) {
			c->env_name[c->nenv++] = name;
			name = NULL;
		} else {
			m_free(c->env_value[i]);
		}
		c->env_value[i] = value;
		value = NULL;
	}
	ret = DROPBEAR_SUCCESS;
out:
	m_free(name);
	m_free(value);
	return ret;
}

int egs_glue_request_prepare(struct egs_chan **chan, const char *type,
                             const unsigned char *payload, unsigned int len)
{
	struct egs_chan *c = chan_get(chan);
	int fds[2];

	if (c->req_type || pipe(fds) < 0) {
		return DROPBEAR_FAILURE;
	}
	setnonblocking(fds[0]);
	c->status_r = fds[0];
	c->status_w = fds[1];
	ses.maxfd = MAX(ses.maxfd, fds[1]);
	c->req_type = m_strdup(type);
	c->req_payload = m_malloc(len ? len : 1);
	memcpy(c->req_payload, payload, len);
	c->req_len = len;
	return DROPBEAR_SUCCESS;
}

void egs_glue_request_started(struct egs_chan *c, int ok)
{
	if (c->status_w >= 0) {
		m_close(c->status_w);
		c->status_w = -1;
	}
	if (!ok) {
		m_close(c->status_r);
		c->status_r = -1;
		m_free(c->req_type);
		c->req_type = NULL;
	}
}

int egs_glue_request_pending(const struct egs_chan *c)
{
	return c && c->req_type;
}

void egs_glue_request_child(struct egs_chan *c, int maxfd)
{
	reset_child(maxfd, c->status_w);
	/* the original resolves relative paths against the service's cwd, / */
	if (chdir("/") < 0) {
		dropbear_exit("chdir(\"/\") failed");
	}
	egs_hook_request(c->req_type, c->req_payload, c->req_len, c->status_w);
}

static void send_request_reply(unsigned int remotechan, const char *name, int with_signal,
                               unsigned int status, const char *message)
{
	CHECKCLEARTOWRITE();
	buf_putbyte(ses.writepayload, SSH_MSG_CHANNEL_REQUEST);
	buf_putint(ses.writepayload, remotechan);
	buf_putstring(ses.writepayload, name, strlen(name));
	buf_putbyte(ses.writepayload, 0); /* want_reply FALSE */
	if (with_signal) {
		buf_putstring(ses.writepayload, "exception@eryph.io", 18);
		buf_putbyte(ses.writepayload, 0); /* core dumped FALSE */
		buf_putstring(ses.writepayload, message, strlen(message));
		buf_putstring(ses.writepayload, "", 0); /* language tag */
	} else {
		buf_putint(ses.writepayload, status);
	}
	encrypt_packet();
}

void egs_glue_request_result(struct egs_chan *c, unsigned int remotechan)
{
	char line[600];
	ssize_t n;
	unsigned long status;
	char *nl;

	do {
		n = read(c->status_r, line, sizeof(line) - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		return; /* still running: the client closed the channel first */
	}
	line[n] = '\0';
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
	}
	if (strcmp(line, "ok") == 0) {
		return; /* success is a plain CLOSE, as the original */
	}
	if (strncmp(line, "status ", 7) == 0) {
		status = strtoul(line + 7, NULL, 10);
		send_request_reply(remotechan, "exit-status", 0, (unsigned int)status, NULL);
		return;
	}
	send_request_reply(remotechan, "exit-signal", 1, 0,
		strncmp(line, "exception ", 10) == 0 ? line + 10
		: "The request ended without a result.");
}
