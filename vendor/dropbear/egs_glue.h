/* Functions the patched Dropbear sources call (vendor/dropbear/patches),
 * implemented in egs_glue.c with Dropbear's internals, which in turn call
 * the egs_hook_* functions of egs_hooks.h. */
#ifndef EGS_GLUE_H
#define EGS_GLUE_H

#include "egs_hooks.h"

struct sockaddr_storage;
struct SIGN_key;
struct egs_chan; /* per-channel egs state, owned by egs_glue.c */

/* egs_dropbear_serve(): route Dropbear's log lines to egs_hook_log(). */
void egs_glue_setup(void);
/* getaddrstring() for address families getnameinfo() does not know
 * (AF_UNIX, AF_VSOCK, and AF_UNSPEC for pipes). */
void egs_glue_addrstring(const struct sockaddr_storage *addr, char *host, unsigned hostlen,
                         char *serv, unsigned servlen);
/* checkusername(): fills ses.authstate for the egs user (root's account;
 * made up when there is no /etc/passwd); leaves it empty otherwise. */
void egs_glue_fill_passwd(const char *username);
/* svr_auth_pubkey(): DROPBEAR_SUCCESS if egs allows the key. */
int egs_glue_checkpubkey(const char *algo, unsigned int algolen,
                         const unsigned char *blob, unsigned int bloblen);
/* load_all_hostkeys(): adds egs's host key to hostkey; returns how many. */
int egs_glue_load_hostkeys(struct SIGN_key *hostkey);
/* sessioncommand(): 1 if egs runs this subsystem. */
int egs_glue_subsystem(const char *name);
/* execchild(): resets signals, closes fds above 2, exports the client's
 * accepted env values, hands over to egs_hook_exec(). */
void egs_glue_exec(const char *cmd, int subsystem, int pty, const struct egs_chan *chan,
                   int maxfd);
/* chansessionrequest() "env": reads name and value from the payload and
 * keeps them if egs allows them and nothing runs yet (started == 0). */
int egs_glue_env(struct egs_chan **chan, int started);
/* egs requests (*@eryph.io): keep type and payload and make the status
 * pipe (prepare), close the parent's write end once the child runs
 * (started), and in the child perform it (child, never returns). */
int egs_glue_request_prepare(struct egs_chan **chan, const char *type,
                             const unsigned char *payload, unsigned int len);
void egs_glue_request_started(struct egs_chan *chan, int ok);
int egs_glue_request_pending(const struct egs_chan *chan);
void egs_glue_request_child(struct egs_chan *chan, int maxfd);
/* send_exitsignalstatus(): nothing, exit-status or exit-signal
 * exception@eryph.io, from the child's status line. */
void egs_glue_request_result(struct egs_chan *chan, unsigned int remotechan);
void egs_glue_chan_free(struct egs_chan *chan);

#endif
