/* Python regex -> POSIX ERE translation. */
#include "pyregex.h"

#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

#define DOT "[^\n]"
#define WORD "[[:alnum:]_]"
#define NOTWORD "[^[:alnum:]_]"
#define SPACE "[[:space:]]"
#define NOTSPACE "[^[:space:]]"

/* The class body for a \d \w \s inside [...], or NULL. */
static const char *class_escape(char c)
{
	switch (c) {
	case 'd': return "0-9";
	case 'w': return "[:alnum:]_";
	case 's': return "[:space:]";
	default: return NULL;
	}
}

/* Translates a [...] class starting at p[*i] == '['. */
static int translate_class(const char *p, size_t *i, struct strbuf *out, const char **why)
{
	size_t j = *i + 1;
	struct strbuf body = STRBUF_INIT;
	int negate = 0, has_bracket = 0, has_dash = 0, has_caret = 0;
	if (p[j] == '^') {
		negate = 1;
		j++;
	}
	size_t first = j;
	for (;; j++) {
		char c = p[j];
		if (!c) {
			*why = "unterminated character set";
			sb_free(&body);
			return -1;
		}
		if (c == ']' && j > first)
			break;
		if (c == '\\') {
			char e = p[++j];
			const char *cls = class_escape(e);
			if (cls) {
				sb_puts(&body, cls);
			} else if (e == 'D' || e == 'W' || e == 'S') {
				*why = "negated class escape inside a set";
				sb_free(&body);
				return -1;
			} else if (e == 'n') {
				sb_putc(&body, '\n');
			} else if (e == 't') {
				sb_putc(&body, '\t');
			} else if (e == ']') {
				has_bracket = 1;
			} else if (e == '\\') {
				sb_putc(&body, '\\');
			} else if (e == '-') {
				has_dash = 1;
			} else if (e == '^') {
				has_caret = 1;
			} else if (e && strchr(".[$*+?(){}|/", e)) {
				sb_putc(&body, e);
			} else {
				*why = "unsupported escape in a character set";
				sb_free(&body);
				return -1;
			}
			continue;
		}
		if (c == ']') {
			has_bracket = 1;
			continue;
		}
		if (c == '^' && j == first) {
			has_caret = 1;
			continue;
		}
		if (c == '-' && (j == first || p[j + 1] == ']')) {
			has_dash = 1;
			continue;
		}
		sb_putc(&body, c);
	}
	/* POSIX: ']' first, '-' last, '^' not first */
	sb_putc(out, '[');
	if (negate)
		sb_putc(out, '^');
	if (has_bracket)
		sb_putc(out, ']');
	sb_puts(out, sb_str(&body));
	if (has_caret)
		sb_putc(out, '^');
	if (has_dash)
		sb_putc(out, '-');
	sb_putc(out, ']');
	if (!has_bracket && !body.len && !has_caret && !has_dash) {
		*why = "empty character set";
		sb_free(&body);
		return -1;
	}
	sb_free(&body);
	*i = j;
	return 0;
}

char *pyregex_to_ere(const char *p, const char **why)
{
	struct strbuf out = STRBUF_INIT;
	*why = NULL;
	for (size_t i = 0; p[i]; i++) {
		char c = p[i];
		switch (c) {
		case '.':
			sb_puts(&out, DOT);
			break;
		case '[':
			if (translate_class(p, &i, &out, why) < 0)
				goto fail;
			break;
		case '(':
			if (p[i + 1] == '?') {
				if (p[i + 2] == ':') {
					i += 2;
				} else {
					*why = "unsupported group extension (?...)";
					goto fail;
				}
			}
			sb_putc(&out, '(');
			break;
		case '*': case '+': case '?': case '}':
			sb_putc(&out, c);
			if (p[i + 1] == '?' || (c != '}' && p[i + 1] == '+')) {
				*why = "lazy or possessive quantifier";
				goto fail;
			}
			break;
		case '\\': {
			char e = p[++i];
			if (!e) {
				*why = "trailing backslash";
				goto fail;
			}
			switch (e) {
			case 'd': sb_puts(&out, "[0-9]"); break;
			case 'D': sb_puts(&out, "[^0-9]"); break;
			case 'w': sb_puts(&out, WORD); break;
			case 'W': sb_puts(&out, NOTWORD); break;
			case 's': sb_puts(&out, SPACE); break;
			case 'S': sb_puts(&out, NOTSPACE); break;
			case 'n': sb_putc(&out, '\n'); break;
			case 't': sb_putc(&out, '\t'); break;
			default:
				if (strchr(".^$*+?()[]{}|\\", e)) {
					sb_putc(&out, '\\');
					sb_putc(&out, e);
				} else if (strchr("/-:#@!%&=<>,;'\"~` ", e)) {
					sb_putc(&out, e);
				} else {
					*why = "unsupported escape";
					goto fail;
				}
			}
			break;
		}
		default:
			sb_putc(&out, c);
		}
	}
	if (!out.data && sb_puts(&out, "") < 0)
		goto fail;
	return sb_detach(&out);
fail:
	if (!*why)
		*why = "out of memory";
	sb_free(&out);
	return NULL;
}

int pyregex_compile(struct pyregex *r, const char *pattern, const char **why)
{
	r->compiled = 0;
	char *ere = pyregex_to_ere(pattern, why);
	if (!ere)
		return -1;
	int rc = regcomp(&r->re, ere, REG_EXTENDED | REG_NOSUB);
	free(ere);
	if (rc) {
		*why = "invalid regular expression";
		return -1;
	}
	r->compiled = 1;
	return 0;
}

int pyregex_search(const struct pyregex *r, const char *s)
{
	if (!r->compiled)
		return 0;
	if (regexec(&r->re, s, 0, NULL, 0) == 0)
		return 1;
	/* Python's '$' also matches before a final newline. */
	size_t len = strlen(s);
	if (len && s[len - 1] == '\n') {
		char *cut = strndup(s, len - 1);
		int hit = cut && regexec(&r->re, cut, 0, NULL, 0) == 0;
		free(cut);
		return hit;
	}
	return 0;
}

void pyregex_free(struct pyregex *r)
{
	if (r->compiled)
		regfree(&r->re);
	r->compiled = 0;
}
