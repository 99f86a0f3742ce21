/* common/sha512crypt.c against Drepper's spec vectors and hashes made by
 * `openssl passwd -6 -salt SALT PASS` and Debian's `mkpasswd -m sha-512
 * [-R N] PASS SALT` (package whois). */
#include "sha512crypt.h"
#include "testlib.h"

#include <string.h>

static void check(const char *key, const char *setting, const char *want)
{
	char out[SHA512CRYPT_MAX];
	int rc = sha512crypt(key, setting, out, sizeof(out));
	CHECK_INT(rc, 0);
	CHECK_STR(rc == 0 ? out : NULL, want);
}

int main(void)
{
	t_group("spec vectors");
	check("Hello world!", "$6$saltstring",
	      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1");
	check("the minimum number is still observed", "$6$rounds=10$roundstoolow",
	      "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.");

	t_group("openssl passwd -6");
	check("pässwörd", "$6$abcdefghijklmnop",
	      "$6$abcdefghijklmnop$Z142AM4CbyHnvFikRKauX.vgsnvjYLvt4bZlZZZrlgVhDW0zltnUun6G9I5xvVirZ/Y9MRz96lJh5eoUicidR.");
	/* a salt longer than 16 characters is cut */
	check("pw", "$6$toolongsaltstring123",
	      "$6$toolongsaltstrin$HVORu0hdHsOheLM1WO9hf3tacVjHKywcUz1aTsZ5hYxepcv6cJl00D6EYvHRP50Nvzlq8DxhE70/.e8qOYWuN/");
	/* a full hash works as the setting (verification) */
	check("Hello world!",
	      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
	      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1");

	t_group("mkpasswd rounds=");
	check("Hello world!", "$6$rounds=10000$saltstringsaltst",
	      "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.");
	check("a very much longer text to encrypt.  This one even stretches over morethan one line.",
	      "$6$rounds=1000$anotherlongsalts",
	      "$6$rounds=1000$anotherlongsalts$2.z83bOBW4tGuBC2Sh7B2f3femMeAVTDx2KhW.P0w.TMKIKDNfailMWqBuR/clOFlvilyZngN/BTgM.olRPpE0");
	char longkey[201];
	memset(longkey, 'x', 200);
	longkey[200] = '\0';
	check(longkey, "$6$ZZZZZZZZZZZZZZZZ",
	      "$6$ZZZZZZZZZZZZZZZZ$oH0KncxCtpRc9C9o2rbQKgg3gw52hBlaVRJmdMlz5S2J5dwf/Lz0J/Q7x1iN3dlxTLDOFk1cnRh6JbBLEMTHr.");

	t_group("bad settings");
	char out[SHA512CRYPT_MAX];
	CHECK_INT(sha512crypt("x", "$5$abc", out, sizeof(out)), -1);
	CHECK_INT(sha512crypt("x", "$6$rounds=abc$salt", out, sizeof(out)), -1);
	CHECK_INT(sha512crypt("x", "$6$salt", out, 10), -1);

	t_group("random salt");
	char h1[SHA512CRYPT_MAX], h2[SHA512CRYPT_MAX];
	CHECK_INT(sha512crypt_new("secret", h1, sizeof(h1)), 0);
	CHECK_INT(sha512crypt_new("secret", h2, sizeof(h2)), 0);
	CHECK(strncmp(h1, "$6$", 3) == 0 && h1[19] == '$' && strlen(h1) == 106);
	CHECK(strcmp(h1, h2) != 0);
	check("secret", h1, h1);
	return t_done();
}
