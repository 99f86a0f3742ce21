/* Small helpers every applet's argument handling shares. */
#ifndef EGS_CLI_H
#define EGS_CLI_H

/* 1 if arg is -h or --help. */
int cli_is_help(const char *arg);
/* 1 if any argument before a "--" is -h or --help. */
int cli_wants_help(int argc, char **argv);
/* Prints "APPLET: not implemented yet (ISSUE)" on stderr; returns 2. */
int cli_not_implemented(const char *applet, const char *what);

#endif
