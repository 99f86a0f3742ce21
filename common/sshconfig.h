/* The OpenSSH client configuration `egs tool add-ssh-config` writes: the
 * include block in ~/.ssh/config (the original's border lines and rules)
 * and one file per VM in <config>/ssh/vm.d/<name>.config. Everything here
 * works on text in memory; the caller reads and writes the files (with
 * fs_write_atomic), so the rules are unit-testable byte for byte. */
#ifndef EGS_SSHCONFIG_H
#define EGS_SSHCONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "transport.h"

#define SSHCONFIG_BORDER "# ------ eryph guest services ------"
#define SSHCONFIG_NAME_SUFFIX ".egs.alt"
#define SSHCONFIG_CIPHERS \
	"aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"

/* The original's alias rule: ASCII letters, digits, '.', '-', '_', and no
 * reserved suffix (.hyper-v.alt, .eryph.alt, and ours, .egs.alt; any case).
 * Returns 0, or -1 with the reason in err. */
int sshconfig_alias_valid(const char *alias, char *err, size_t errlen);

/* The host name egs uses for a target, also the file name stem: the
 * canonical target text (plus "-PORT" for a non-default vsock port),
 * lower-cased, every run of characters outside [a-z0-9._] turned into one
 * '-', then ".egs.alt": vsock/3 -> "vsock-3.egs.alt", unix/run/vm.sock ->
 * "unix-run-vm.sock.egs.alt", tcp/127.0.0.1:2222 ->
 * "tcp-127.0.0.1-2222.egs.alt". Returns 0, or -1 (ENAMETOOLONG) when it
 * does not fit len or would exceed 200 characters. */
int sshconfig_name_for_target(const struct transport_target *t, char *buf, size_t len);

/* Appends path with home replaced by "~" when path lies under home
 * ("~/.config/egs/ssh/vm.d"), else path itself. 0 or -1 (ENOMEM). */
int sshconfig_tilde(const char *path, const char *home, struct strbuf *out);

/* Appends the include block: border, two comment lines, blank, Include
 * "<vm_glob>", blank, border; each line ends in "\n". 0 or -1. */
int sshconfig_include_block(const char *vm_glob, struct strbuf *out);

/* Computes the new ~/.ssh/config from its old text (NULL: missing):
 * missing or blank -> just the block; no border line -> block, "\n", old
 * text; two border lines -> the text between them (borders included) is
 * replaced; any other number of borders -> -1 with err "broken eryph guest
 * services configuration". A border line is one that equals
 * SSHCONFIG_BORDER after trimming spaces, tabs and CR. */
int sshconfig_update_main(const char *old, const char *vm_glob, struct strbuf *out,
                          char *err, size_t errlen);

/* What a per-VM file says. */
struct sshconfig_vm {
	const char *name;           /* sshconfig_name_for_target() */
	const char *alias;          /* NULL or "": none */
	const char *target_text;    /* canonical TARGET (transport_format) */
	uint32_t port;              /* written as PORT argument when not 5002 and
	                             * the target is vsock or vsock-mux */
	int fdpass;                 /* --fdpass + ProxyUseFdpass yes */
	const char *egs_path;       /* absolute path of the egs binary */
	const char *identity_file;  /* absolute path of the private key */
	const char *known_hosts;    /* absolute path of the per-VM known_hosts */
	int strict;                 /* 1: StrictHostKeyChecking yes (key pinned),
	                             * 0: accept-new (pinned on first use) */
};

/* Appends the per-VM file text. Paths and the target may not contain
 * newlines; paths may not contain '"' or '\\'. '%' is doubled for ssh's
 * token expansion and ProxyCommand words are shell-quoted as needed.
 * Returns 0, or -1 with the reason in err. */
int sshconfig_render_vm(const struct sshconfig_vm *vm, struct strbuf *out, char *err,
                        size_t errlen);

/* 1 if the text's "Host" lines list host (case-insensitive), else 0. */
int sshconfig_has_host(const char *text, const char *host);

/* Removes alias (case-insensitive) from the "Host" lines of another VM's
 * file text, unless that would leave a Host line empty. Returns 1 with
 * the new text appended to out, 0 when nothing changes, -1 (ENOMEM). */
int sshconfig_remove_alias(const char *text, const char *alias, struct strbuf *out);

/* Reads back the "# egs-target: TARGET [PORT]" line of a per-VM file
 * (PORT is always there for vsock and vsock-mux, never for others):
 * appends TARGET to target and PORT (or nothing) to port. Returns 0, or
 * -1 when there is no such line. */
int sshconfig_read_target(const char *text, struct strbuf *target, struct strbuf *port);

/* Appends word quoted for sh: as is when it only holds safe characters,
 * else in single quotes ('\'' for a quote). 0 or -1 (ENOMEM). */
int sshconfig_shell_quote(const char *word, struct strbuf *out);

#endif
