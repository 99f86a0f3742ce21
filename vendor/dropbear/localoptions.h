/* Dropbear compile-time options for egs (read by Dropbear's options.h).
 * egs owns listening, host keys, authorization and session start-up
 * (vendor/dropbear/egs_hooks.h); Dropbear does the SSH protocol. */

/* Public keys only: no password or PAM (Debian's musl has no crypt()). */
#define DROPBEAR_SVR_PASSWORD_AUTH 0
#define DROPBEAR_SVR_PAM_AUTH 0
#define DROPBEAR_SVR_PUBKEY_AUTH 1
/* egs_hook_key_allowed() replaces authorized_keys; the options code stays
 * compiled (unused) because 2022.83 does not build without it. */
#define DROPBEAR_SVR_PUBKEY_OPTIONS 1

/* Nothing the original does not offer: no X11, agent forwarding, motd. */
#define DROPBEAR_X11FWD 0
#define DROPBEAR_SVR_AGENTFWD 0
#define DO_MOTD 0
/* Port forwarding is compiled in and switched off at run time (-j -k)
 * unless service-control.conf sets PortForwardingEnabled. */
#define DROPBEAR_SVR_LOCALTCPFWD 1
#define DROPBEAR_SVR_REMOTETCPFWD 1

/* Ciphers: the original client needs aes256-gcm@openssh.com or aes256-ctr;
 * OpenSSH prefers chacha20-poly1305 and aes*-gcm. No CBC, no 3DES. */
#define DROPBEAR_AES128 1
#define DROPBEAR_AES256 1
#define DROPBEAR_CHACHA20POLY1305 1
#define DROPBEAR_ENABLE_CTR_MODE 1
#define DROPBEAR_ENABLE_GCM_MODE 1
#define DROPBEAR_ENABLE_CBC_MODE 0
#define DROPBEAR_3DES 0
#define DROPBEAR_SHA1_HMAC 0
#define DROPBEAR_SHA1_96_HMAC 0
#define DROPBEAR_SHA2_256_HMAC 1
#define DROPBEAR_SHA2_512_HMAC 1

/* Keys: ECDSA P-256 host and user keys (the original's), ed25519 and
 * rsa-sha2-* user keys for OpenSSH users. No ssh-rsa SHA-1, no DSS. */
#define DROPBEAR_ECDSA 1
#define DROPBEAR_ED25519 1
#define DROPBEAR_RSA 1
#define DROPBEAR_RSA_SHA1 0
#define DROPBEAR_DSS 0
#define DROPBEAR_SK_KEYS 0

/* Key exchange: curve25519 for OpenSSH, ECDH nistp256/384 and group14
 * for the original's client (which has no curve25519). */
#define DROPBEAR_CURVE25519 1
#define DROPBEAR_ECDH 1
#define DROPBEAR_DH_GROUP14_SHA256 1
#define DROPBEAR_DH_GROUP14_SHA1 0
#define DROPBEAR_DH_GROUP16 0
#define DROPBEAR_DH_GROUP1 0

/* Faster code paths (LTC_SMALL_CODE AES/SHA are slower). */
#define DROPBEAR_SMALL_CODE 0

/* egs forks per connection and calls egs_dropbear_serve(): no re-exec,
 * no Dropbear listener, no Dropbear sftp-server path. */
#define DROPBEAR_REEXEC 0
#define NON_INETD_MODE 0
#define INETD_MODE 1
#define DROPBEAR_SFTPSERVER 0
#define DROPBEAR_DELAY_HOSTKEY 0

/* Dropbear's stock 24 KiB window cuts receive speed about 4x. */
#define DEFAULT_RECV_WINDOW 524288
/* Send packets of up to 32 KiB payload (stock: 16 KiB), the largest
 * RFC 4253 says every peer must accept; patch 0009 fills them. */
#define TRANS_MAX_PAYLOAD_LEN 32768

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define DEFAULT_ROOT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
