/* common/clientkey.c: generation, OpenSSH formats, and agreement with
 * OpenSSH's own ssh-keygen (skipped with a note when it is missing). */
#include "clientkey.h"
#include "fsutil.h"
#include "strbuf.h"
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_clientkey.XXXXXX";

static int have_ssh_keygen(void)
{
	return system("command -v ssh-keygen >/dev/null 2>&1") == 0;
}

/* Runs cmd, captures its stdout into out. Returns the exit status. */
static int run_capture(const char *cmd, struct strbuf *out)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(out, buf, n);
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_formats(void)
{
	t_group("format");
	struct clientkey k;
	CHECK(clientkey_generate(&k) == 0);
	CHECK(k.q[0] == 0x04);
	struct strbuf pub = STRBUF_INIT, priv = STRBUF_INIT;
	CHECK(clientkey_format_public(&k, &pub) == 0);
	const char *prefix = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB";
	CHECK(strncmp(sb_str(&pub), prefix, strlen(prefix)) == 0);
	CHECK(strchr(sb_str(&pub), '\n') == NULL);
	CHECK(clientkey_format_private(&k, 0x11223344u, &priv) == 0);
	CHECK(strncmp(sb_str(&priv), "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36) == 0);
	CHECK(priv.len > 40 && strcmp(priv.data + priv.len - 34, "-----END OPENSSH PRIVATE KEY-----\n") == 0);
	/* every base64 line is at most 70 characters */
	int longest = 0, cur = 0;
	for (const char *p = strchr(sb_str(&priv), '\n') + 1; *p; p++) {
		if (*p == '\n') {
			if (cur > longest && strncmp(p - cur, "-----", 5) != 0)
				longest = cur;
			cur = 0;
		} else {
			cur++;
		}
	}
	CHECK_INT(longest, 70);

	/* round trip */
	struct clientkey k2;
	char err[200] = "";
	CHECK(clientkey_parse_private(priv.data, priv.len, &k2, err, sizeof(err)) == 0);
	CHECK(memcmp(k.d, k2.d, 32) == 0 && memcmp(k.q, k2.q, 65) == 0);

	/* CRLF line ends are fine */
	struct strbuf crlf = STRBUF_INIT;
	for (const char *p = priv.data; *p; p++) {
		if (*p == '\n')
			sb_putc(&crlf, '\r');
		sb_putc(&crlf, *p);
	}
	CHECK(clientkey_parse_private(crlf.data, crlf.len, &k2, err, sizeof(err)) == 0);

	/* two keys differ */
	struct clientkey k3;
	CHECK(clientkey_generate(&k3) == 0);
	CHECK(memcmp(k.d, k3.d, 32) != 0);

	sb_free(&pub);
	sb_free(&priv);
	sb_free(&crlf);
}

static void test_bad_input(void)
{
	t_group("bad input");
	struct clientkey k, out;
	char err[200];
	CHECK(clientkey_generate(&k) == 0);
	struct strbuf priv = STRBUF_INIT;
	CHECK(clientkey_format_private(&k, 7, &priv) == 0);

	CHECK(clientkey_parse_private("", 0, &out, err, sizeof(err)) < 0);
	CHECK(strstr(err, "BEGIN") != NULL);
	const char *nob64 = "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!\n-----END OPENSSH PRIVATE KEY-----\n";
	CHECK(clientkey_parse_private(nob64, strlen(nob64), &out, err, sizeof(err)) < 0);
	const char *short_ = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n";
	CHECK(clientkey_parse_private(short_, strlen(short_), &out, err, sizeof(err)) < 0);

	/* every single-character corruption of the base64 body is rejected
	 * or still yields exactly the original key (never a different key) */
	size_t start = 36, stop = priv.len - 35;
	int wrong = 0;
	for (size_t i = start; i < stop; i++) {
		if (priv.data[i] == '\n')
			continue;
		char saved = priv.data[i];
		priv.data[i] = saved == 'A' ? 'B' : 'A';
		if (clientkey_parse_private(priv.data, priv.len, &out, err, sizeof(err)) == 0 &&
		    (memcmp(out.d, k.d, 32) != 0 || memcmp(out.q, k.q, 65) != 0))
			wrong++;
		priv.data[i] = saved;
	}
	CHECK_INT(wrong, 0);

	/* truncations never crash and never yield another key (dropping only
	 * the optional '=' padding still gives the same key) */
	int ok = 0;
	for (size_t cut = 0; cut < priv.len - 35; cut += 3) {
		struct strbuf t = STRBUF_INIT;
		sb_append(&t, priv.data, cut);
		sb_puts(&t, "\n-----END OPENSSH PRIVATE KEY-----\n");
		if (clientkey_parse_private(t.data, t.len, &out, err, sizeof(err)) == 0 &&
		    (memcmp(out.d, k.d, 32) != 0 || memcmp(out.q, k.q, 65) != 0))
			ok++;
		sb_free(&t);
	}
	CHECK_INT(ok, 0);
	sb_free(&priv);
}

static void test_find_public(void)
{
	t_group("find public");
	struct clientkey k;
	CHECK(clientkey_generate(&k) == 0);
	struct strbuf pub = STRBUF_INIT, type = STRBUF_INIT, b64 = STRBUF_INIT, text = STRBUF_INIT;
	char err[200];
	CHECK(clientkey_format_public(&k, &pub) == 0);
	const char *b = strchr(sb_str(&pub), ' ') + 1;

	sb_printf(&text, "%s comment here\n", sb_str(&pub));
	CHECK(clientkey_find_public(sb_str(&text), &type, &b64, err, sizeof(err)) == 0);
	CHECK_STR(sb_str(&type), "ecdsa-sha2-nistp256");
	CHECK_STR(sb_str(&b64), b);

	sb_reset(&text), sb_reset(&type), sb_reset(&b64);
	sb_printf(&text, "# a comment\n\nhost.example,10.0.0.1 %s\r\n", sb_str(&pub));
	CHECK(clientkey_find_public(sb_str(&text), &type, &b64, err, sizeof(err)) == 0);
	CHECK_STR(sb_str(&type), "ecdsa-sha2-nistp256");
	CHECK_STR(sb_str(&b64), b);

	sb_reset(&type), sb_reset(&b64);
	CHECK(clientkey_find_public("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x", &type, &b64, err,
	                            sizeof(err)) == 0);
	CHECK_STR(sb_str(&type), "ssh-ed25519");
	sb_reset(&type), sb_reset(&b64);
	/* the blob's type must match the named type */
	CHECK(clientkey_find_public("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==", &type, &b64, err,
	                            sizeof(err)) < 0);
	CHECK(clientkey_find_public("", &type, &b64, err, sizeof(err)) < 0);
	CHECK(clientkey_find_public("garbage\nmore garbage here\n", &type, &b64, err, sizeof(err)) < 0);
	sb_free(&pub), sb_free(&type), sb_free(&b64), sb_free(&text);
}

static void test_openssh(void)
{
	t_group("openssh interop");
	if (!have_ssh_keygen()) {
		printf("note: ssh-keygen not found, OpenSSH interop checks skipped\n");
		return;
	}
	CHECK(mkdtemp(tmpdir) != NULL);
	char *keyp = fs_join(tmpdir, "id_egs");
	struct clientkey k;
	CHECK(clientkey_generate(&k) == 0);
	CHECK(clientkey_save(keyp, &k) == 0);
	struct stat st;
	CHECK(stat(keyp, &st) == 0 && (st.st_mode & 0777) == 0600);

	/* ssh-keygen reads our private key and derives our public key */
	char cmd[1400];
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT, pubfile = STRBUF_INIT;
	snprintf(cmd, sizeof(cmd), "ssh-keygen -y -f '%s' 2>&1", keyp);
	CHECK_INT(run_capture(cmd, &got), 0);
	CHECK(clientkey_format_public(&k, &want) == 0);
	sb_putc(&want, '\n');
	CHECK_STR(sb_str(&got), sb_str(&want));
	char pubp[700];
	snprintf(pubp, sizeof(pubp), "%s.pub", keyp);
	CHECK(fs_read_file(pubp, &pubfile, 0) == 0);
	CHECK_STR(sb_str(&pubfile), sb_str(&want));

	/* we read a key ssh-keygen made, and agree on its public half */
	char theirs[600];
	snprintf(theirs, sizeof(theirs), "%s/theirs", tmpdir);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ecdsa -b 256 -N '' -C '' -f '%s' >/dev/null 2>&1",
	         theirs);
	CHECK(system(cmd) == 0);
	struct clientkey k2;
	char err[300];
	CHECK(clientkey_load(theirs, &k2, err, sizeof(err)) == 0);
	struct strbuf mine = STRBUF_INIT, their_pub = STRBUF_INIT;
	CHECK(clientkey_format_public(&k2, &mine) == 0);
	snprintf(pubp, sizeof(pubp), "%s.pub", theirs);
	CHECK(fs_read_file(pubp, &their_pub, 0) == 0);
	/* ssh-keygen writes "TYPE BASE64 \n" or "TYPE BASE64\n" with -C '' */
	while (their_pub.len && (their_pub.data[their_pub.len - 1] == '\n' ||
	                         their_pub.data[their_pub.len - 1] == ' '))
		their_pub.data[--their_pub.len] = '\0';
	CHECK_STR(sb_str(&mine), sb_str(&their_pub));

	/* encrypted and non-ECDSA keys are refused with a reason */
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ecdsa -b 256 -N secret -f '%s/enc' >/dev/null 2>&1",
	         tmpdir);
	CHECK(system(cmd) == 0);
	snprintf(theirs, sizeof(theirs), "%s/enc", tmpdir);
	CHECK(clientkey_load(theirs, &k2, err, sizeof(err)) < 0);
	CHECK(strstr(err, "encrypted") != NULL);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -f '%s/ed' >/dev/null 2>&1", tmpdir);
	CHECK(system(cmd) == 0);
	snprintf(theirs, sizeof(theirs), "%s/ed", tmpdir);
	CHECK(clientkey_load(theirs, &k2, err, sizeof(err)) < 0);
	CHECK(strstr(err, "ecdsa-sha2-nistp256") != NULL);
	snprintf(theirs, sizeof(theirs), "%s/missing", tmpdir);
	errno = 0;
	CHECK(clientkey_load(theirs, &k2, err, sizeof(err)) < 0 && errno == ENOENT);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	CHECK(system(cmd) == 0);
	free(keyp);
	sb_free(&got), sb_free(&want), sb_free(&pubfile), sb_free(&mine), sb_free(&their_pub);
}

int main(void)
{
	test_formats();
	test_bad_input();
	test_find_public();
	test_openssh();
	return t_done();
}
