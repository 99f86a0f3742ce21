/* Dropbear-side half of the egs embedding: translates between Dropbear's
 * internals (ses, sign_key, buffer) and the plain-C hooks egs provides.
 * Compiled against the patched Dropbear tree by dropbear.mk. */
#include "includes.h"
#include "dbutil.h"
#include "session.h"
#include "signkey.h"
#include "buffer.h"
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

void egs_glue_exec(const char *cmd, int subsystem, const char *term, int maxfd)
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
		m_close(i);
	}
	egs_hook_exec(cmd, subsystem, term);
}
