/*
 * config_ini.c - inih driven line by line, so that every problem has a line number.
 *
 * Debian's inih is built without INI_HANDLER_LINENO, with lines of at most INI_MAX_LINE
 * (200) bytes, inline ";" comments and multi-line values (an indented line continues the
 * previous key, as in Python's configparser). It stops at nothing and reports only the
 * first bad line, so the reader below does what inih cannot: it counts the lines, looks
 * at each one the way inih will (section header, key, continuation, comment) to report
 * every syntax error, unknown section, over-long line and invalid UTF-8, and tells the
 * handler whether the key it receives is a new key or a continuation. The handler then
 * checks the key against the table and collects the value; config.c validates values.
 */
#include "config/config_internal.h"

#include "common/err.h"
#include "common/i18n.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum line_kind { LINE_OTHER, LINE_KEY, LINE_CONT };
enum section_state { SECTION_NONE, SECTION_UNKNOWN, SECTION_KNOWN };

struct parser {
	const char *file;
	const char *data;
	size_t len, pos;
	int lineno;
	enum line_kind kind;        /* of the line just handed to inih */
	int have_prev;              /* inih's prev_name is set: indented lines continue */
	enum section_state section; /* of the current [section] */
	char section_name[64];
	int cur;                    /* key the next continuation line extends, or -1 */
	const struct config_key *keys;
	size_t n_keys;
	struct config_value *vals;
	struct config_instances *inst;
	struct config_instance *cur_inst; /* the section being read is this instance, or NULL */
	struct config_errors *errs;
	int rc;                     /* BANDITORE_ENOMEM once memory ran out */
};

int config_error_add(struct config_errors *errs, const char *file, int line, const char *fmt, ...)
{
	struct config_error *items, *e;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* a longer message is cut, never overrun */
	va_end(ap);
	items = realloc(errs->items, (size_t)(errs->count + 1) * sizeof(*items));
	if (!items)
		return BANDITORE_ENOMEM;
	errs->items = items;
	e = &items[errs->count];
	e->file = strdup(file);
	e->line = line;
	e->message = strdup(msg);
	if (!e->file || !e->message) {
		free(e->file);
		free(e->message);
		return BANDITORE_ENOMEM;
	}
	errs->count++;
	return 0;
}

int config_read_file(const char *path, size_t max, char **data, size_t *len, struct stat *st)
{
	char *buf = NULL;
	size_t n = 0;
	int fd, rc, saved;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? BANDITORE_ENOTFOUND : BANDITORE_EIO;
	if (fstat(fd, st) != 0) {
		rc = BANDITORE_EIO;
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		rc = BANDITORE_EIO;
		goto fail;
	}
	buf = malloc(max + 1);
	if (!buf) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = BANDITORE_EIO;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = BANDITORE_ETOOBIG;
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return rc;
}

static void error_at(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void error_at(struct parser *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (config_error_add(p->errs, p->file, p->lineno, "%s", msg) != 0)
		p->rc = BANDITORE_ENOMEM;
}

/* 1 when the n bytes at s are valid UTF-8 (no overlongs, no surrogates). */
static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t need;
		unsigned int cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Like inih's ini_find_chars_or_comment over [s, end): the first of `chars`, or an
 * inline ';' comment (one that follows whitespace), or end. */
static const char *find_chars_or_comment(const char *s, const char *end, const char *chars)
{
	int was_space = 0;

	for (; s < end; s++) {
		if (chars && strchr(chars, *s))
			return s;
		if (was_space && *s == ';')
			return s;
		was_space = isspace((unsigned char)*s);
	}
	return end;
}

static int section_known(const struct parser *p, const char *name, size_t n)
{
	for (size_t i = 0; i < p->n_keys; i++)
		if (strlen(p->keys[i].section) == n && memcmp(p->keys[i].section, name, n) == 0)
			return 1;
	return 0;
}

/* The pattern ("category *") that section `name` is an instance of, or NULL; *arg and
 * *arg_len get the instance's name. */
static const char *section_pattern(const struct parser *p, const char *name, size_t n,
				   const char **arg, size_t *arg_len)
{
	for (size_t i = 0; p->inst && i < p->n_keys; i++) {
		const char *sec = p->keys[i].section;
		size_t len = strlen(sec);
		if (len < 3 || strcmp(sec + len - 2, " *") != 0)
			continue;
		if (n > len - 1 && memcmp(name, sec, len - 1) == 0) {
			*arg = name + len - 1;
			*arg_len = n - (len - 1);
			while (*arg_len && **arg == ' ') {
				(*arg)++;
				(*arg_len)--;
			}
			while (*arg_len && (*arg)[*arg_len - 1] == ' ')
				(*arg_len)--;
			return sec;
		}
	}
	return NULL;
}

/* Starts instance `arg` of `pattern`, reporting a bad or repeated name. */
static void start_instance(struct parser *p, const char *pattern, const char *arg, size_t n)
{
	struct config_instances *in = p->inst;
	struct config_instance *it;
	size_t plen = strlen(pattern) - 2;

	p->cur_inst = NULL;
	if (n == 0 || n >= CONFIG_INSTANCE_NAME_MAX ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-") < n) {
		error_at(p, T("[%.*s %.*s]: il nome deve avere da 1 a %d caratteri tra lettere minuscole, "
			      "cifre e trattini", "[%.*s %.*s]: the name must have 1 to %d characters among "
			      "lowercase letters, digits and hyphens"),
			 (int)plen, pattern, (int)(n > 60 ? 60 : n), arg, CONFIG_INSTANCE_NAME_MAX - 1);
		p->section = SECTION_UNKNOWN;
		return;
	}
	for (int i = 0; i < in->count; i++) {
		if (in->items[i].pattern == pattern && strlen(in->items[i].name) == n &&
		    memcmp(in->items[i].name, arg, n) == 0) {
			error_at(p, T("sezione [%.*s %.*s] ripetuta (già alla riga %d)",
				      "section [%.*s %.*s] repeated (first on line %d)"),
				 (int)plen, pattern, (int)n, arg, in->items[i].line);
			p->section = SECTION_UNKNOWN;
			return;
		}
	}
	if (in->count == CONFIG_INSTANCES_MAX) {
		error_at(p, T("troppe sezioni [%.*s ...] (al massimo %d)", "too many [%.*s ...] sections (at most %d)"),
			 (int)plen, pattern, CONFIG_INSTANCES_MAX);
		p->section = SECTION_UNKNOWN;
		return;
	}
	it = &in->items[in->count];
	it->vals = calloc(p->n_keys, sizeof(*it->vals));
	if (!it->vals) {
		p->rc = BANDITORE_ENOMEM;
		p->section = SECTION_UNKNOWN;
		return;
	}
	for (size_t i = 0; i < p->n_keys; i++)
		buf_init(&it->vals[i].text, CONFIG_VALUE_MAX);
	in->n_keys = p->n_keys;
	it->pattern = pattern;
	memcpy(it->name, arg, n);
	it->name[n] = '\0';
	it->line = p->lineno;
	in->count++;
	p->cur_inst = it;
	p->section = SECTION_KNOWN;
	snprintf(p->section_name, sizeof(p->section_name), "%s", pattern);
}

void config_instances_free(struct config_instances *inst)
{
	if (!inst)
		return;
	for (int i = 0; i < inst->count; i++) {
		for (size_t k = 0; inst->items[i].vals && k < inst->n_keys; k++)
			buf_free(&inst->items[i].vals[k].text);
		free(inst->items[i].vals);
		inst->items[i].vals = NULL;
	}
	inst->count = 0;
}

/* Looks at one line as inih will, reports what is wrong with it, and remembers what
 * kind of line it is for the handler. */
static void classify(struct parser *p, const char *line, size_t n)
{
	const char *s = line, *end = line + n, *sep, *pattern, *arg;
	size_t arg_len;

	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	p->kind = LINE_OTHER;
	if (s == end || *s == ';' || *s == '#')
		return;
	if (p->have_prev && s > line) {
		p->kind = LINE_CONT;
		return;
	}
	if (*s == '[') {
		const char *rb = find_chars_or_comment(s + 1, end, "]");
		size_t len;
		if (rb == end || *rb != ']') {
			error_at(p, T("intestazione di sezione senza ']': scrivere [nome]",
				      "section header without ']': write [name]"));
			p->section = SECTION_UNKNOWN; /* keys below it are not taken */
			p->cur = -1;
			return;
		}
		len = (size_t)(rb - (s + 1));
		snprintf(p->section_name, sizeof(p->section_name), "%.*s", (int)len, s + 1);
		p->have_prev = 0;
		p->cur = -1;
		p->cur_inst = NULL;
		if (section_known(p, s + 1, len)) {
			p->section = SECTION_KNOWN;
		} else if ((pattern = section_pattern(p, s + 1, len, &arg, &arg_len))) {
			start_instance(p, pattern, arg, arg_len);
		} else {
			p->section = SECTION_UNKNOWN;
			error_at(p, T("sezione sconosciuta [%.*s]", "unknown section [%.*s]"),
				 (int)(len > 60 ? 60 : len), s + 1);
		}
		return;
	}
	sep = find_chars_or_comment(s, end, "=:");
	if (sep < end && (*sep == '=' || *sep == ':')) {
		p->kind = LINE_KEY;
		p->have_prev = sep > s; /* inih keeps an empty name, which continues nothing */
		return;
	}
	error_at(p, T("riga non valida: attesa 'chiave = valore', '[sezione]' o un commento (;)",
		      "invalid line: expected 'key = value', '[section]' or a comment (;)"));
}

/* The ini_reader: hands inih one line per call, always ending in '\n' so that inih never
 * thinks a line was cut. A line that cannot be given (too long, NUL byte, invalid
 * UTF-8) is reported here and handed over empty. */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *line, *nl;
	size_t n;

	if (p->pos >= p->len || num < 2)
		return NULL;
	line = p->data + p->pos;
	nl = memchr(line, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - line) : p->len - p->pos;
	p->pos += n + (nl ? 1 : 0);
	p->lineno++;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (p->lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3; /* byte-order mark */
		n -= 3;
	}
	p->kind = LINE_OTHER;
	str[0] = '\n';
	str[1] = '\0';
	if (memchr(line, '\0', n)) {
		error_at(p, T("la riga contiene un byte NUL", "the line contains a NUL byte"));
		p->cur = -1;
		return str;
	}
	if (n > (size_t)num - 2) {
		error_at(p, T("riga troppo lunga (%zu byte, al massimo %d): dividere un testo lungo su "
			      "più righe, ciascuna rientrata di uno spazio",
			      "line too long (%zu bytes, at most %d): split a long text over several "
			      "lines, each indented by a space"),
			 n, num - 2);
		p->cur = -1;
		return str;
	}
	if (!valid_utf8((const unsigned char *)line, n)) {
		error_at(p, T("la riga non è testo UTF-8 valido: salvare il file in UTF-8",
			      "the line is not valid UTF-8 text: save the file as UTF-8"));
		p->cur = -1;
		return str;
	}
	classify(p, line, n);
	memcpy(str, line, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static int find_key(const struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->n_keys; i++)
		if (strcmp(p->keys[i].section, p->section_name) == 0 &&
		    strcmp(p->keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void append_value(struct parser *p, struct config_value *v, const char *sep, const char *value)
{
	int rc = buf_appends(&v->text, sep);
	if (!rc)
		rc = buf_appends(&v->text, value);
	if (rc == BANDITORE_ENOMEM) {
		p->rc = rc;
	} else if (rc) {
		error_at(p, T("valore troppo lungo (al massimo %d byte)", "value too long (at most %d bytes)"),
			 CONFIG_VALUE_MAX);
		p->cur = -1;
	}
}

/* A text ending in the escape "\n" goes on without a space: the new line is enough. */
static int ends_with_newline_escape(const struct buf *b)
{
	size_t n = b->len, k = 0;

	if (n < 2 || b->data[n - 1] != 'n')
		return 0;
	while (k < n - 1 && b->data[n - 2 - k] == '\\')
		k++;
	return k % 2 == 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	struct config_value *v;
	int i;

	(void)section; /* ours is in p->section_name: inih truncates its copy */
	if (p->kind == LINE_CONT) {
		if (p->cur >= 0 && *value) {
			v = p->cur_inst ? &p->cur_inst->vals[p->cur] : &p->vals[p->cur];
			if (p->keys[p->cur].flags & CONFIG_KEY_TIGHT || v->text.len == 0 ||
			    ends_with_newline_escape(&v->text))
				append_value(p, v, "", value);
			else
				append_value(p, v, " ", value);
		}
		return 1;
	}
	if (p->kind != LINE_KEY)
		return 1;
	p->cur = -1;
	if (p->section == SECTION_NONE) {
		error_at(p, T("la chiave '%s' è fuori da ogni sezione: metterla sotto una [sezione]",
			      "key '%s' is outside any section: put it under a [section]"),
			 name);
		return 1;
	}
	if (p->section == SECTION_UNKNOWN)
		return 1; /* the section was reported */
	i = find_key(p, name);
	if (i < 0) {
		error_at(p, T("chiave sconosciuta '%s' nella sezione [%s]", "unknown key '%s' in section [%s]"),
			 name, p->section_name);
		return 1;
	}
	if (p->keys[i].flags & CONFIG_KEY_SECRET) {
		error_at(p, T("'%s': i segreti non vanno nel file di configurazione: metterli nel "
			      "secrets_file o nell'ambiente (BANDITORE_WHATSAPP_...)",
			      "'%s': secrets must not be in the configuration file: put them in "
			      "secrets_file or the environment (BANDITORE_WHATSAPP_...)"),
			 name);
		return 1;
	}
	v = p->cur_inst ? &p->cur_inst->vals[i] : &p->vals[i];
	if (v->set) {
		error_at(p, T("chiave '%s' ripetuta nella sezione [%s] (già alla riga %d)",
			      "duplicate key '%s' in section [%s] (first set on line %d)"),
			 name, p->section_name, v->line);
		return 1;
	}
	v->set = 1;
	v->line = p->lineno;
	p->cur = i;
	append_value(p, v, "", value);
	return 1;
}

static int has_error_on(const struct config_errors *errs, const char *file, int line)
{
	for (int i = 0; i < errs->count; i++)
		if (errs->items[i].line == line && strcmp(errs->items[i].file, file) == 0)
			return 1;
	return 0;
}

int config_ini_parse(const char *file, const char *data, size_t len,
		     const struct config_key *keys, size_t n_keys, struct config_value *vals,
		     struct config_instances *inst, struct config_errors *errs)
{
	struct parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.file = file;
	p.data = data;
	p.len = len;
	p.section = SECTION_NONE;
	p.cur = -1;
	p.keys = keys;
	p.n_keys = n_keys;
	p.vals = vals;
	p.inst = inst;
	p.errs = errs;
	rc = ini_parse_stream(reader, &p, handler, &p);
	if (p.rc)
		return p.rc;
	if (rc < 0)
		return BANDITORE_ENOMEM;
	/* inih saw a problem on a line we did not: say so rather than pass over it. */
	if (rc > 0 && !has_error_on(errs, file, rc) &&
	    config_error_add(errs, file, rc, "%s", T("riga non leggibile", "unreadable line")) != 0)
		return BANDITORE_ENOMEM;
	return 0;
}
