/* The version string; the Makefile passes -DEGS_VERSION from its VERSION. */
#ifndef EGS_VERSION_H
#define EGS_VERSION_H
#ifndef EGS_VERSION
#define EGS_VERSION "0.0.0-dev"
#endif
#endif
