/* Applet entry points and the table built from applets.def. */
#ifndef EGS_APPLETS_H
#define EGS_APPLETS_H

enum applet_visibility { APPLET_LINKED, APPLET_INTERNAL };

struct applet {
	const char *name;
	int (*main)(int argc, char **argv);
	enum applet_visibility visibility;
	const char *help;
};

#define APPLET(c_name, name, vis, help) int c_name##_main(int argc, char **argv);
#include "applets.def"
#undef APPLET

extern const struct applet applet_table[];
extern const unsigned applet_count;

/* Finds an applet by name ("tool") or link name ("egs-tool"); NULL if none. */
const struct applet *applet_find(const char *name);

#endif
