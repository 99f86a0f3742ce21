/* common/authkeys.c: the original's ClientKeyProvider rules (egs-compat
 * §4.2) as our own cases, plus the key sources and fingerprints. */
#include "authkeys.h"
#include "base64.h"
#include "fsutil.h"
#include "kvp.h"
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Generated with ssh-keygen for these tests (public halves only). */
#define KEY_A "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDdD5uj+npKnkMPRsbNZJZ2aMq0BvzCIampVsWCYkYauORnd2j2golMToocJQ0npEN5wsKhP6C/By/ds08Cfphw="
#define KEY_B "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF32JciBAKajuZaRHJMm5yI4lWNIrpebtASY2piJQ3rX"
#define KEY_C "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDFOzNMv6Wx/R886/Ati9WMFNfIkOzMbIdaZOfLnGMChUx0aJ+DSuCqXB23iDXsFyYl+SaYpBk0quDOO6qIvOq1xZsoFqKao32QWuJbCa4J76RvQhvKuZLuvRJpEx19F44bRe8VnJUiUEWAjaGSmdsh0xHqdIZ3hX5F8ck+QI61ApGINl0LybWoZFzBfs/YR1fO5Zs4sG9x2CV4+eAOO89BkfXwalPiWRSGQXjhhkV16JGoitUG985erGM8qhILt850InetjW2rTGPdLcGmZSUJOLsFhWHNnGE3jXV4uXgQSVThtwxcjjjSmw1VLhzTECvS6eBeZwp1VkLK/L7YK8rp"
#define KEY_D "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBZR+w5hZJ5wztlAroPNeXWW5C/s0dySb2u3sQsZ6UhYaTSAIfbIGJ3XfGX/Wu9Bg46OqrUm4ImipuXCCPxz8gs="

/* "now" in every test: 2026-06-01T12:00:00Z. */
#define NOW ((time_t)1780315200)

struct blob {
	unsigned char *b;
	size_t len;
};

static struct blob blob_of(const char *line)
{
	struct strbuf sb = STRBUF_INIT;
	const char *sp = strchr(line, ' ');
	base64_decode(&sb, sp + 1, strlen(sp + 1));
	struct blob r = {(unsigned char *)sb.data, sb.len};
	return r;
}

static struct blob A, B, C, D;

/* Is key k allowed by text at NOW? */
static int allowed(const char *text, struct blob k)
{
	return authkeys_match(text, strlen(text), k.b, k.len, NOW, NULL);
}

static void test_basic_lines(void)
{
	t_group("basic lines");
	CHECK(allowed(KEY_A, A));
	CHECK(allowed(KEY_B, B));
	CHECK(allowed(KEY_C, C));
	CHECK(allowed(KEY_A " host-a", A));
	CHECK(allowed(KEY_A " some other comment with spaces", A)); /* by blob, not comment */
	CHECK(!allowed(KEY_A, D));
	CHECK(!allowed(KEY_D " host-a", A));
	CHECK(!allowed("", A));
	CHECK(allowed("  \t" KEY_B "  \t", B));
	/* Several lines, any one may match. */
	CHECK(allowed(KEY_D "\n" KEY_A "\n", A));
	CHECK(allowed(KEY_D "\r\n" KEY_A "\r\n", A));
	CHECK(allowed(KEY_D "\r\n\r\n" KEY_B "\r\n", B));
	/* Blank lines and comments. */
	CHECK(allowed("\n\n# a comment\n   # indented comment\n" KEY_B "\n", B));
	CHECK(!allowed("# " KEY_B "\n", B));
	/* A malformed line does not lock out the others. */
	struct strbuf why = STRBUF_INIT;
	const char *mixed = "garbage\n"
	                    "ssh-ed25519 !!!notbase64!!!\n"
	                    "ssh-ed25519\n" KEY_B "\n";
	CHECK_INT(authkeys_match(mixed, strlen(mixed), B.b, B.len, NOW, &why), 1);
	CHECK(strstr(sb_str(&why), "line 1 skipped") != NULL);
	CHECK(strstr(sb_str(&why), "line 2 skipped") != NULL);
	CHECK(strstr(sb_str(&why), "line 3 skipped") != NULL);
	/* The key type must agree with the blob (rsa-sha2-* names ssh-rsa). */
	const char *b64_b = strchr(KEY_B, ' ');
	char line[1024];
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256%s", b64_b);
	CHECK(!allowed(line, B));
	snprintf(line, sizeof(line), "rsa-sha2-256%s", strchr(KEY_C, ' '));
	CHECK(allowed(line, C));
	/* A truncated blob. */
	CHECK(!allowed("ssh-ed25519 AAAAC3NzaC1lZDI1", B));
	sb_free(&why);
}

/* Builds "OPTIONS KEY_B" and checks it against B. */
static int opt_allowed(const char *options)
{
	char line[2048];
	snprintf(line, sizeof(line), "%s %s host-b", options, KEY_B);
	return allowed(line, B);
}

static void test_expiry_formats(void)
{
	t_group("expiry formats");
	/* YYYYMMDD (midnight UTC). */
	CHECK(opt_allowed("expiry-time=20260602"));
	CHECK(!opt_allowed("expiry-time=20260601")); /* 00:00 today: past */
	CHECK(opt_allowed("expiry-time=20260602Z"));
	CHECK(opt_allowed("expiry-time=\"20260602\""));
	/* YYYYMMDDHHMM */
	CHECK(opt_allowed("expiry-time=202606011201"));
	CHECK(!opt_allowed("expiry-time=202606011200")); /* == now: expired */
	CHECK(!opt_allowed("expiry-time=202606011159Z"));
	/* YYYYMMDDHHMMSS */
	CHECK(opt_allowed("expiry-time=20260601120001"));
	CHECK(!opt_allowed("expiry-time=20260601120000"));
	CHECK(opt_allowed("expiry-time=20260601120001Z"));
	CHECK(!opt_allowed("expiry-time=\"20260601115959Z\""));
	/* ISO-8601 / RFC 3339 */
	CHECK(opt_allowed("expiry-time=\"2026-06-01T12:00:01Z\""));
	CHECK(!opt_allowed("expiry-time=\"2026-06-01T12:00:00Z\""));
	CHECK(opt_allowed("expiry-time=2026-06-01T12:00:01")); /* no offset: UTC */
	CHECK(!opt_allowed("expiry-time=2026-06-01T11:59:59"));
	CHECK(opt_allowed("expiry-time=\"2026-06-01T15:00:00+02:00\"")); /* 13:00Z */
	CHECK(!opt_allowed("expiry-time=\"2026-06-01T13:30:00+02:00\"")); /* 11:30Z */
	CHECK(opt_allowed("expiry-time=\"2026-06-01T08:00:00-05:00\""));  /* 13:00Z */
	CHECK(!opt_allowed("expiry-time=\"2026-06-01T06:59:59-05:00\"")); /* 11:59:59Z */
	CHECK(opt_allowed("expiry-time=\"2026-06-01T14:00:00+0100\""));
	CHECK(opt_allowed("expiry-time=\"2026-06-01T12:00:01.250Z\""));
	CHECK(opt_allowed("expiry-time=\"2026-06-01 12:30\""));
	CHECK(opt_allowed("expiry-time=2026-06-02"));
	CHECK(!opt_allowed("expiry-time=2026-06-01"));
	CHECK(opt_allowed("expiry-time=\"2030-01-01T00:00:00Z\""));
}

static void test_expiry_rejections(void)
{
	t_group("expiry rejections");
	/* A T without separators is not a format we read: fail closed. */
	CHECK(!opt_allowed("expiry-time=20260602T143000Z"));
	CHECK(!opt_allowed("expiry-time=\"20260602T143000Z\""));
	CHECK(!opt_allowed("expiry-time=\"tomorrow\""));
	CHECK(!opt_allowed("expiry-time=2026060")); /* 7 digits */
	CHECK(!opt_allowed("expiry-time=2026060212")); /* 10 digits */
	CHECK(!opt_allowed("expiry-time=20261301")); /* month 13 */
	CHECK(!opt_allowed("expiry-time=20270229")); /* not a leap year */
	CHECK(opt_allowed("expiry-time=20280229"));
	CHECK(!opt_allowed("expiry-time=20260602246000"));
	CHECK(!opt_allowed("expiry-time=\"2026-06-02T25:00:00Z\""));
	CHECK(!opt_allowed("expiry-time=\"2026-06-02T12:00:00+02:\""));
	CHECK(!opt_allowed("expiry-time=\"2026-06-02T12:00:00 junk\""));
	CHECK(!opt_allowed("expiry-time=\"\""));
	CHECK(!opt_allowed("expiry-time="));
	/* Bare expiry-time, with no '=': rejected. */
	CHECK(!opt_allowed("expiry-time"));
	CHECK(!opt_allowed("no-pty,expiry-time"));
	/* Case-insensitive name. */
	CHECK(!opt_allowed("EXPIRY-TIME=20200101"));
	CHECK(opt_allowed("Expiry-Time=20300101"));
	CHECK(!opt_allowed("Expiry-Time"));
	/* Options that only start with the name are not ours. */
	CHECK(opt_allowed("expiry-time-zone=\"Europe/Berlin\""));
	CHECK(opt_allowed("expiry-timezone=20200101"));
	/* Several expiry-time options: the earliest counts, all must parse. */
	CHECK(!opt_allowed("expiry-time=20300101,expiry-time=20200101"));
	CHECK(!opt_allowed("expiry-time=20300101,expiry-time=bad"));
	CHECK(opt_allowed("expiry-time=20300101,expiry-time=20290101"));
	/* The reason is reported for a matching expired key. */
	struct strbuf why = STRBUF_INIT;
	const char *t = "expiry-time=20200101 " KEY_B "\n" KEY_A "\n";
	CHECK_INT(authkeys_match(t, strlen(t), B.b, B.len, NOW, &why), 0);
	CHECK(strstr(sb_str(&why), "line 1 rejected: key expired") != NULL);
	/* An expired line does not hide a valid one for the same key. */
	t = "expiry-time=20200101 " KEY_B "\n" KEY_B "\n";
	CHECK(allowed(t, B));
	sb_free(&why);
}

static void test_options(void)
{
	t_group("option lists");
	CHECK(opt_allowed("no-pty"));
	CHECK(opt_allowed("no-pty,no-port-forwarding,no-agent-forwarding"));
	CHECK(opt_allowed("command=\"echo a, b and c\",expiry-time=\"2030-01-01T00:00:00Z\""));
	CHECK(!opt_allowed("command=\"echo a, b and c\",expiry-time=\"2020-01-01T00:00:00Z\""));
	CHECK(opt_allowed("command=\"echo \\\"hi, there\\\"\",no-pty"));
	CHECK(!opt_allowed("command=\"echo \\\"hi\\\" \",expiry-time=20200101"));
	CHECK(opt_allowed("from=\"10.0.0.0/8,192.168.0.0/16\",expiry-time=\"2030-01-01 00:00\""));
	CHECK(opt_allowed("environment=\"A=b c\""));
	/* Unterminated quote or junk after a quoted value: the line is bad. */
	CHECK(!opt_allowed("command=\"echo"));
	CHECK(!opt_allowed("command=\"echo\"x"));
	CHECK(!opt_allowed(",no-pty"));
	/* First-token rule: known key type prefixes are not options ... */
	struct authkey_line l;
	struct strbuf why = STRBUF_INIT;
	CHECK_INT(authkeys_parse_line(KEY_B " c", strlen(KEY_B " c"), &l, &why), 1);
	CHECK(l.options == NULL);
	CHECK_STR(l.algo, "ssh-ed25519");
	CHECK_STR(l.comment, "c");
	CHECK_INT(l.has_expiry, 0);
	CHECK_INT(l.bloblen, B.len);
	authkey_line_free(&l);
	/* ... unless they hold '=' or '"'. */
	const char *s = "sk-foo=1 " KEY_B;
	CHECK_INT(authkeys_parse_line(s, strlen(s), &l, &why), 1);
	CHECK_STR(l.options, "sk-foo=1");
	CHECK_STR(l.algo, "ssh-ed25519");
	CHECK(l.comment == NULL);
	authkey_line_free(&l);
	s = "expiry-time=\"2030-01-01 00:00:00Z\",no-pty " KEY_A " my key\r";
	CHECK_INT(authkeys_parse_line(s, strlen(s), &l, &why), 1);
	CHECK_STR(l.options, "expiry-time=\"2030-01-01 00:00:00Z\",no-pty");
	CHECK_STR(l.algo, "ecdsa-sha2-nistp256");
	CHECK_STR(l.comment, "my key");
	CHECK_INT(l.has_expiry, 1);
	CHECK_INT(l.expiry, 1893456000);
	CHECK_INT(authkeys_line_valid(&l, NOW, NULL), 1);
	CHECK_INT(authkeys_line_valid(&l, 1893456000, NULL), 0);
	authkey_line_free(&l);
	CHECK_INT(authkeys_parse_line("  # c", 5, &l, &why), 0);
	CHECK_INT(authkeys_parse_line("\r", 1, &l, &why), 0);
	sb_reset(&why);
	CHECK_INT(authkeys_parse_line("expiry-time " KEY_B, strlen("expiry-time " KEY_B), &l, &why),
	          -1);
	CHECK(strstr(sb_str(&why), "without a value") != NULL);
	sb_free(&why);

	time_t t;
	CHECK_INT(authkeys_parse_time("2026-06-02T14:30:00Z", &t), 0);
	CHECK_INT(t, 1780410600);
	CHECK_INT(authkeys_parse_time("20260602143000", &t), 0);
	CHECK_INT(t, 1780410600);
	CHECK_INT(authkeys_parse_time("2026-06-02T14:30:00+02:00", &t), 0);
	CHECK_INT(t, 1780403400);
	CHECK_INT(authkeys_parse_time("20260602", &t), 0);
	CHECK_INT(t, 1780358400);
	CHECK_INT(authkeys_parse_time("20260602T143000Z", &t), -1);
}

/* ---- sources ---------------------------------------------------------- */

static char root[] = "/tmp/egs-authkeys-XXXXXX";
static char cfgdir[256], kvpdir[256], sysfs[256];

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = fs_join(dir, name);
	char *slash = strrchr(p, '/');
	*slash = 0;
	fs_mkdir_p(p, 0755);
	*slash = '/';
	if (fs_write_atomic(p, data, len, 0644) < 0)
		perror(p);
	free(p);
}

static void rm_rf(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

static int authorized(struct authkeys_config *cfg, struct blob k, struct strbuf *origin)
{
	struct strbuf why = STRBUF_INIT;
	if (origin)
		sb_reset(origin);
	int r = authkeys_authorize(cfg, k.b, k.len, NOW, origin, &why);
	sb_free(&why);
	return r;
}

static void set_kvp(const char *key, const char *value)
{
	struct kvp_change c = {key, value};
	struct strbuf err = STRBUF_INIT;
	if (kvp_update(kvpdir, 0, &c, 1, KVP_CREATE, &err) < 0)
		fprintf(stderr, "kvp: %s\n", sb_str(&err));
	sb_free(&err);
}

static void test_sources(void)
{
	t_group("sources");
	snprintf(cfgdir, sizeof(cfgdir), "%s/etc", root);
	snprintf(kvpdir, sizeof(kvpdir), "%s/hyperv", root);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	fs_mkdir_p(cfgdir, 0755);
	fs_mkdir_p(kvpdir, 0755);
	struct authkeys_config cfg = {cfgdir, kvpdir, 1, sysfs};
	struct strbuf origin = STRBUF_INIT;

	/* Nothing anywhere (no pool, no sysfs): nobody. */
	CHECK(!authorized(&cfg, A, NULL));

	/* id_egs.pub: one key. */
	write_file(cfgdir, "id_egs.pub", KEY_A " egs\n", strlen(KEY_A " egs\n"));
	CHECK(authorized(&cfg, A, &origin));
	CHECK_STR(sb_str(&origin), "id_egs.pub");
	CHECK(!authorized(&cfg, B, NULL));
	/* Only its first key counts. */
	const char *two = "# provisioned\n" KEY_A "\n" KEY_B "\n";
	write_file(cfgdir, "id_egs.pub", two, strlen(two));
	CHECK(authorized(&cfg, A, NULL));
	CHECK(!authorized(&cfg, B, NULL));
	/* White space only: deleted and absent. */
	char *idpath = fs_join(cfgdir, "id_egs.pub");
	write_file(cfgdir, "id_egs.pub", " \r\n\t\n", 5);
	CHECK(!authorized(&cfg, A, NULL));
	CHECK(access(idpath, F_OK) < 0 && errno == ENOENT);
	write_file(cfgdir, "id_egs.pub", "", 0);
	CHECK(!authorized(&cfg, A, NULL));
	CHECK(access(idpath, F_OK) < 0);

	/* KVP legacy slot, value ending in CRLF as egs-tool writes it. */
	set_kvp(AUTHKEYS_KVP_KEY, KEY_B "\r\n");
	CHECK(authorized(&cfg, B, &origin));
	CHECK_STR(sb_str(&origin), "kvp:" AUTHKEYS_KVP_KEY);
	/* Per-host slots; a look-alike key is not a slot. */
	set_kvp(AUTHKEYS_KVP_KEY ":build-host", "# two keys\r\n" KEY_D "\r\n" KEY_C "\r\n");
	set_kvp(AUTHKEYS_KVP_KEY "s", KEY_A "\r\n");
	set_kvp("eryph:guest-services:shell", "/bin/sh");
	CHECK(authorized(&cfg, C, &origin));
	CHECK_STR(sb_str(&origin), "kvp:" AUTHKEYS_KVP_KEY ":build-host");
	CHECK(authorized(&cfg, D, NULL));
	CHECK(!authorized(&cfg, A, NULL));
	/* Expired in one slot, fine in another. */
	set_kvp(AUTHKEYS_KVP_KEY ":old", "expiry-time=20200101 " KEY_A "\r\n");
	CHECK(!authorized(&cfg, A, NULL));
	set_kvp(AUTHKEYS_KVP_KEY ":new", "expiry-time=\"2030-01-01T00:00:00Z\" " KEY_A "\r\n");
	CHECK(authorized(&cfg, A, &origin));
	CHECK_STR(sb_str(&origin), "kvp:" AUTHKEYS_KVP_KEY ":new");

	/* KvpAuthEnabled=0: only id_egs.pub. */
	write_file(cfgdir, "id_egs.pub", KEY_A "\n", strlen(KEY_A "\n"));
	cfg.kvp_auth = 0;
	CHECK(!authorized(&cfg, B, NULL));
	CHECK(authorized(&cfg, A, &origin));
	CHECK_STR(sb_str(&origin), "id_egs.pub");
	cfg.kvp_auth = 1;
	CHECK(authorized(&cfg, B, NULL));

	/* A broken pool: not authorized by KVP, id_egs.pub still works. */
	char *pool0 = kvp_pool_path(kvpdir, 0);
	struct strbuf img = STRBUF_INIT;
	fs_read_file(pool0, &img, 0);
	CHECK(truncate(pool0, (off_t)img.len - 1) == 0);
	struct strbuf why = STRBUF_INIT;
	CHECK_INT(authkeys_authorize(&cfg, B.b, B.len, NOW, NULL, &why), 0);
	CHECK(strstr(sb_str(&why), "KVP not used") != NULL);
	CHECK(authorized(&cfg, A, NULL));
	/* No pool at all (not Hyper-V): same, silently. */
	unlink(pool0);
	sb_reset(&why);
	CHECK_INT(authkeys_authorize(&cfg, B.b, B.len, NOW, NULL, &why), 0);
	CHECK(strstr(sb_str(&why), "KVP") == NULL);
	CHECK(authorized(&cfg, A, NULL));
	free(pool0);
	sb_free(&img);
	sb_free(&why);
	free(idpath);
	sb_free(&origin);
}

/* Builds an SMBIOS type 11 structure holding the given strings. */
static size_t smbios11(unsigned char *buf, const char *const *strs, size_t n)
{
	size_t p = 5;
	buf[0] = 11, buf[1] = 5, buf[2] = 0x34, buf[3] = 0x12, buf[4] = (unsigned char)n;
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + p, strs[i], strlen(strs[i]) + 1);
		p += strlen(strs[i]) + 1;
	}
	if (!n)
		buf[p++] = 0;
	buf[p++] = 0;
	return p;
}

static void test_credentials(void)
{
	t_group("credentials");
	struct authkeys_config cfg = {NULL, NULL, 1, sysfs};
	struct strbuf origin = STRBUF_INIT, b64 = STRBUF_INIT, out = STRBUF_INIT,
	              why = STRBUF_INIT;
	unsigned char raw[4096];
	CHECK(!authorized(&cfg, C, NULL));

	/* fw_cfg */
	write_file(sysfs, "firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials/"
	           "ssh.ephemeral-authorized_keys-all/raw", KEY_C "\n", strlen(KEY_C "\n"));
	CHECK(authorized(&cfg, C, &origin));
	CHECK_STR(sb_str(&origin), "fw_cfg:ssh.ephemeral-authorized_keys-all");
	/* SMBIOS text credential for root */
	const char *s1[] = {"io.systemd.stub.kernel-cmdline-extra=console=ttyS0",
	                    "io.systemd.credential:ssh.authorized_keys.root=" KEY_D};
	size_t n = smbios11(raw, s1, 2);
	write_file(sysfs, "firmware/dmi/entries/11-0/raw", raw, n);
	CHECK(authorized(&cfg, D, &origin));
	CHECK_STR(sb_str(&origin), "smbios:ssh.authorized_keys.root");
	/* SMBIOS binary credential */
	base64_encode(&b64, KEY_B "\n" KEY_A "\n", strlen(KEY_B "\n" KEY_A "\n"));
	char cred[2048];
	snprintf(cred, sizeof(cred),
	         "io.systemd.credential.binary:ssh.ephemeral-authorized_keys-all=%s", b64.data);
	const char *s2[] = {cred};
	n = smbios11(raw, s2, 1);
	write_file(sysfs, "firmware/dmi/entries/11-1/raw", raw, n);
	CHECK(authorized(&cfg, A, &origin));
	CHECK_STR(sb_str(&origin), "smbios:ssh.ephemeral-authorized_keys-all");
	CHECK(authorized(&cfg, B, NULL));
	/* Other credential names and other types are ignored. */
	const char *s3[] = {"io.systemd.credential:ssh.authorized_keys.other=" KEY_A,
	                    "io.systemd.credential:ssh.authorized_keys.rootx=" KEY_A};
	n = smbios11(raw, s3, 2);
	CHECK_INT(authkeys_smbios_credential(raw, n, AUTHKEYS_CRED_ROOT, &out, &why), 0);
	raw[0] = 1;
	CHECK_INT(authkeys_smbios_credential(raw, n, AUTHKEYS_CRED_ROOT, &out, &why), -1);
	/* Malformed: no terminator, bad length, bad base64. */
	n = smbios11(raw, s1, 2);
	CHECK_INT(authkeys_smbios_credential(raw, n - 2, AUTHKEYS_CRED_ROOT, &out, &why), -1);
	raw[1] = 200;
	CHECK_INT(authkeys_smbios_credential(raw, 100, AUTHKEYS_CRED_ROOT, &out, &why), -1);
	const char *s4[] = {"io.systemd.credential.binary:ssh.authorized_keys.root=!!"};
	n = smbios11(raw, s4, 1);
	CHECK_INT(authkeys_smbios_credential(raw, n, AUTHKEYS_CRED_ROOT, &out, &why), -1);
	/* Empty string set. */
	n = smbios11(raw, NULL, 0);
	CHECK_INT(authkeys_smbios_credential(raw, n, AUTHKEYS_CRED_ROOT, &out, &why), 0);
	/* A malformed entry is noted and does not hide the others. */
	write_file(sysfs, "firmware/dmi/entries/11-2/raw", "\x0b\x05", 2);
	sb_reset(&why);
	CHECK_INT(authkeys_authorize(&cfg, D.b, D.len, NOW, NULL, &why), 1);
	CHECK(strstr(sb_str(&why), "11-2/raw") != NULL);
	sb_free(&origin);
	sb_free(&b64);
	sb_free(&out);
	sb_free(&why);
}

static void test_fingerprints(void)
{
	t_group("fingerprints");
	struct strbuf sb = STRBUF_INIT;
	CHECK_INT(authkeys_fingerprint_ssh(&sb, A.b, A.len), 0);
	CHECK_STR(sb_str(&sb), "SHA256:NBvRJVE8QRm1ILmt8wS0pOLwcdJ+oT84cIJPtajQvPI");
	sb_reset(&sb);
	CHECK_INT(authkeys_fingerprint_ssh(&sb, B.b, B.len), 0);
	CHECK_STR(sb_str(&sb), "SHA256:52v+JEvJwBOEt7z3HWl0YbqAZxotHhQPsYpp7QoSYeE");
	sb_reset(&sb);
	CHECK_INT(authkeys_fingerprint_hex(&sb, A.b, A.len), 0);
	CHECK_STR(sb_str(&sb), "34:1b:d1:25:51:3c:41:19:b5:20:b9:ad:f3:04:b4:a4:"
	                       "e2:f0:71:d2:7e:a1:3f:38:70:82:4f:b5:a8:d0:bc:f2");
	sb_free(&sb);
}

/* Random lines and structures from a nasty alphabet: nothing may crash
 * (ASan/UBSan watch) and nothing random may authorize. */
static void test_robustness(void)
{
	t_group("robustness");
	static const char *const parts[] = {
		"ssh-ed25519", " ", "\t", "\"", "\\\"", ",", "=", "expiry-time", "EXPIRY-TIME=",
		"2030", "-01-01T", "Z", "+02:00", "AAAA", "AAAAC3NzaC1lZDI1NTE5", "#", "\r", "\n",
		"no-pty", "sk-", "rsa-sha2-256", "\xc3", "\xff", "=="};
	unsigned seed = 12345;
	int accepted = 0;
	for (int i = 0; i < 20000; i++) {
		char line[512];
		size_t n = 0;
		int k = (int)(seed % 12);
		for (int j = 0; j < k; j++) {
			seed = seed * 1103515245u + 12345u;
			const char *p = parts[(seed >> 8) % (sizeof(parts) / sizeof(parts[0]))];
			size_t l = strlen(p);
			if (n + l >= sizeof(line))
				break;
			memcpy(line + n, p, l);
			n += l;
		}
		seed = seed * 1103515245u + 12345u;
		struct authkey_line l;
		if (authkeys_parse_line(line, n, &l, NULL) > 0)
			authkey_line_free(&l);
		accepted += authkeys_match(line, n, B.b, B.len, NOW, NULL);
		unsigned char raw[64];
		for (size_t j = 0; j < sizeof(raw); j++) {
			seed = seed * 1103515245u + 12345u;
			raw[j] = (unsigned char)(j < 2 ? (j ? 5 + (seed >> 9) % 8 : 11) : (seed >> 16) % 3 ? (seed >> 8) : 0);
		}
		struct strbuf out = STRBUF_INIT;
		authkeys_smbios_credential(raw, (seed >> 4) % sizeof(raw), AUTHKEYS_CRED_ROOT, &out, NULL);
		sb_free(&out);
	}
	CHECK_INT(accepted, 0);
}

int main(void)
{
	A = blob_of(KEY_A);
	B = blob_of(KEY_B);
	C = blob_of(KEY_C);
	D = blob_of(KEY_D);
	test_basic_lines();
	test_expiry_formats();
	test_expiry_rejections();
	test_options();
	if (mkdtemp(root)) {
		test_sources();
		test_credentials();
		rm_rf(root);
	} else {
		CHECK(0);
	}
	test_fingerprints();
	test_robustness();
	free(A.b);
	free(B.b);
	free(C.b);
	free(D.b);
	return t_done();
}
