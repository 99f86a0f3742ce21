/* util.shellify (common/shellify.h). */
#include "shellify.h"

#include "pyrepr.h"

int shellify(const struct ynode *list, const char *what, struct strbuf *out, struct strbuf *err)
{
	if (!list || list->kind != Y_SEQ) {
		sb_printf(err, "%s: input to shellify was type '%s'. Expected list or tuple.", what,
		          list ? ykind_name(list->kind) : "NoneType");
		return -1;
	}
	sb_puts(out, "#!/bin/sh\n");
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *it = list->items[i];
		if (!it || it->kind == Y_NULL)
			continue;
		if (it->kind == Y_STR) {
			sb_append(out, it->str, it->len);
			sb_putc(out, '\n');
			continue;
		}
		if (it->kind != Y_SEQ) {
			sb_printf(err, "%s[%zu]: unable to shellify type '%s'. Expected list, string, tuple.",
			          what, i, ykind_name(it->kind));
			return -1;
		}
		for (size_t j = 0; j < it->n; j++) {
			const struct ynode *a = it->items[j];
			struct strbuf s = STRBUF_INIT;
			if (a && a->kind == Y_STR)
				sb_append(&s, a->str, a->len);
			else if (py_repr(&s, a, 0) < 0) {
				sb_free(&s);
				sb_puts(err, "out of memory");
				return -1;
			}
			sb_printf(out, "%s'", j ? " " : "");
			for (size_t k = 0; k < s.len; k++) {
				if (s.data[k] == '\'')
					sb_puts(out, "'\\''");
				else
					sb_putc(out, s.data[k]);
			}
			sb_putc(out, '\'');
			sb_free(&s);
		}
		sb_putc(out, '\n');
	}
	if (out->len == 0 && !out->data) {
		sb_puts(err, "out of memory");
		return -1;
	}
	return 0;
}
