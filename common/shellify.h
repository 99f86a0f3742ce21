/* cloud-init's util.shellify: a runcmd/bootcmd list as a /bin/sh script. */
#ifndef EGS_SHELLIFY_H
#define EGS_SHELLIFY_H

#include "strbuf.h"
#include "yaml.h"

/* Appends "#!/bin/sh\n" and one line per item of list: a string item
 * verbatim, a list item as its elements' str() each in '...' (a ' as
 * '\''), joined by one space; null items are skipped. what names the key
 * in errors ("runcmd"). Returns 0, or -1 with err for a list that is not
 * a list, or an item that is neither (cloud-init's TypeError). */
int shellify(const struct ynode *list, const char *what, struct strbuf *out, struct strbuf *err);

#endif
