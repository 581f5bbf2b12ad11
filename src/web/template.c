/*
 * template.c - parses templates into trees once, renders them with JSON data, escaping
 * every value unless told otherwise. See template.h for the syntax.
 */
#include "web/template.h"

#include "common/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TPL_TEMPLATES_MAX 128
#define TPL_CATALOGS_MAX 4
#define TPL_STACK_MAX 32 /* nested blocks in one template, and contexts while rendering */

enum node_kind { N_ROOT, N_TEXT, N_VAR, N_RAW, N_IF, N_UNLESS, N_EACH, N_WITH, N_TRANS, N_INCLUDE };
enum filter { F_NONE, F_URL, F_URI };

struct node;

struct nodelist {
	struct node *items;
	int n, cap;
};

struct node {
	enum node_kind kind;
	enum filter filter;
	char *arg;            /* text, path, msgid or template name (owned) */
	size_t len;           /* of arg */
	struct nodelist body; /* blocks: the main branch */
	struct nodelist alt;  /* blocks: after {{else}} */
};

struct template {
	char name[TPL_NAME_MAX];
	struct node root;
};

struct entry {
	char *msgid, *msgstr;
};

struct catalog {
	char lang[TPL_LANG_MAX];
	struct entry *entries; /* sorted by msgid */
	int n, cap;
};

struct tpl_set {
	struct template templates[TPL_TEMPLATES_MAX];
	int n_templates;
	struct catalog catalogs[TPL_CATALOGS_MAX];
	int n_catalogs;
};

/* --- memory --- */

static void node_clear(struct node *nd);

static void list_clear(struct nodelist *l)
{
	for (int i = 0; i < l->n; i++)
		node_clear(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static void node_clear(struct node *nd)
{
	free(nd->arg);
	list_clear(&nd->body);
	list_clear(&nd->alt);
	memset(nd, 0, sizeof(*nd));
}

static struct node *list_push(struct nodelist *l)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 8;
		struct node *items = realloc(l->items, (size_t)cap * sizeof(*items));
		if (!items)
			return NULL;
		l->items = items;
		l->cap = cap;
	}
	memset(&l->items[l->n], 0, sizeof(l->items[0]));
	return &l->items[l->n++];
}

int tpl_set_new(struct tpl_set **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : BANDITORE_ENOMEM;
}

static void catalog_clear(struct catalog *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->entries[i].msgid);
		free(c->entries[i].msgstr);
	}
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

void tpl_set_free(struct tpl_set *set)
{
	if (!set)
		return;
	for (int i = 0; i < set->n_templates; i++)
		node_clear(&set->templates[i].root);
	for (int i = 0; i < set->n_catalogs; i++)
		catalog_clear(&set->catalogs[i]);
	free(set);
}

/* --- parsing --- */

static int line_at(const char *text, const char *p)
{
	int line = 1;
	for (; text < p; text++)
		line += *text == '\n';
	return line;
}

static int syntax(char *err, size_t err_len, const char *text, const char *at, const char *what)
{
	if (err && err_len)
		snprintf(err, err_len, "line %d: %s", line_at(text, at), what);
	return BANDITORE_EINVAL;
}

/* Collapses runs of white space into one space (msgids are compared that way). */
static char *collapse(const char *s, size_t len)
{
	char *out = malloc(len + 1), *w = out;
	int space = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (isspace((unsigned char)s[i])) {
			space = w != out;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = 0;
		*w++ = s[i];
	}
	*w = '\0';
	return out;
}

static int add_leaf(struct nodelist *l, enum node_kind kind, const char *arg, size_t len,
		    enum filter filter)
{
	struct node *nd = list_push(l);

	if (!nd)
		return BANDITORE_ENOMEM;
	nd->kind = kind;
	nd->filter = filter;
	nd->arg = kind == N_TRANS ? collapse(arg, len) : strndup(arg, len);
	if (!nd->arg)
		return BANDITORE_ENOMEM;
	nd->len = strlen(nd->arg);
	return 0;
}

static int valid_path(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-@", s[i]))
			return 0;
	return 1;
}

struct frame {
	struct node *node; /* the block (N_ROOT at the bottom) */
	int in_else;
	const char *opened_at;
};

static struct nodelist *current(struct frame *f)
{
	return f->in_else ? &f->node->alt : &f->node->body;
}

static const char *kind_name(enum node_kind k)
{
	switch (k) {
	case N_IF: return "if";
	case N_UNLESS: return "unless";
	case N_EACH: return "each";
	case N_WITH: return "with";
	default: return "?";
	}
}

static int parse(struct node *root, const char *text, size_t len, char *err, size_t err_len)
{
	struct frame stack[TPL_STACK_MAX];
	int depth = 0, rc;
	const char *p = text, *end = text + len;

	root->kind = N_ROOT;
	stack[0] = (struct frame){ root, 0, text };
	while (p < end) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2), *tag, *tag_end, *close;
		struct nodelist *l = current(&stack[depth]);
		int triple;
		size_t tlen;

		if (!open) {
			return add_leaf(l, N_TEXT, p, (size_t)(end - p), F_NONE) ? BANDITORE_ENOMEM
				: depth ? syntax(err, err_len, text, stack[depth].opened_at,
						 "block not closed")
				: 0;
		}
		if (open > p && add_leaf(l, N_TEXT, p, (size_t)(open - p), F_NONE))
			return BANDITORE_ENOMEM;
		triple = open + 2 < end && open[2] == '{';
		tag = open + (triple ? 3 : 2);
		close = memmem(tag, (size_t)(end - tag), triple ? "}}}" : "}}", triple ? 3 : 2);
		if (!close)
			return syntax(err, err_len, text, open, "tag not closed");
		p = close + (triple ? 3 : 2);
		while (tag < close && isspace((unsigned char)*tag))
			tag++;
		tag_end = close;
		while (tag_end > tag && isspace((unsigned char)tag_end[-1]))
			tag_end--;
		tlen = (size_t)(tag_end - tag);
		if (triple) {
			if (!valid_path(tag, tlen))
				return syntax(err, err_len, text, open, "bad name in {{{ }}}");
			if (add_leaf(l, N_RAW, tag, tlen, F_NONE))
				return BANDITORE_ENOMEM;
			continue;
		}
		if (tlen == 0)
			return syntax(err, err_len, text, open, "empty tag");
		if (tag[0] == '!')
			continue;
		if (tag[0] == '_' && (tlen == 1 || isspace((unsigned char)tag[1]))) {
			if (add_leaf(l, N_TRANS, tag + 1, tlen - 1, F_NONE))
				return BANDITORE_ENOMEM;
			continue;
		}
		if (tag[0] == '>') {
			const char *n = tag + 1;
			while (n < tag_end && isspace((unsigned char)*n))
				n++;
			if (n == tag_end || (size_t)(tag_end - n) >= TPL_NAME_MAX)
				return syntax(err, err_len, text, open, "bad include name");
			if (add_leaf(l, N_INCLUDE, n, (size_t)(tag_end - n), F_NONE))
				return BANDITORE_ENOMEM;
			continue;
		}
		if (tag[0] == '#') {
			static const struct { const char *word; enum node_kind kind; } blocks[] = {
				{ "if", N_IF }, { "unless", N_UNLESS }, { "each", N_EACH }, { "with", N_WITH },
			};
			const char *w = tag + 1, *arg;
			size_t wlen = 0;
			struct node *nd;
			enum node_kind kind = N_ROOT;

			while (w + wlen < tag_end && !isspace((unsigned char)w[wlen]))
				wlen++;
			for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
				if (strlen(blocks[i].word) == wlen && !memcmp(w, blocks[i].word, wlen))
					kind = blocks[i].kind;
			if (kind == N_ROOT)
				return syntax(err, err_len, text, open, "unknown block");
			arg = w + wlen;
			while (arg < tag_end && isspace((unsigned char)*arg))
				arg++;
			if (!valid_path(arg, (size_t)(tag_end - arg)))
				return syntax(err, err_len, text, open, "bad name in block");
			if (depth + 1 >= TPL_STACK_MAX)
				return syntax(err, err_len, text, open, "blocks nested too deep");
			if ((rc = add_leaf(l, kind, arg, (size_t)(tag_end - arg), F_NONE)))
				return rc;
			nd = &l->items[l->n - 1];
			stack[++depth] = (struct frame){ nd, 0, open };
			continue;
		}
		if (tag[0] == '/') {
			const char *w = tag + 1;
			while (w < tag_end && isspace((unsigned char)*w))
				w++;
			if (depth == 0)
				return syntax(err, err_len, text, open, "close without open");
			if (strlen(kind_name(stack[depth].node->kind)) != (size_t)(tag_end - w) ||
			    memcmp(w, kind_name(stack[depth].node->kind), (size_t)(tag_end - w)))
				return syntax(err, err_len, text, open, "close does not match the open block");
			depth--;
			continue;
		}
		if (tlen == 4 && !memcmp(tag, "else", 4)) {
			if (depth == 0 || stack[depth].in_else || stack[depth].node->kind == N_WITH)
				return syntax(err, err_len, text, open, "{{else}} out of place");
			stack[depth].in_else = 1;
			continue;
		}
		{
			const char *bar = memchr(tag, '|', tlen);
			enum filter f = F_NONE;
			size_t plen = tlen;

			if (bar) {
				const char *fn = bar + 1;
				size_t flen = (size_t)(tag_end - fn);
				if (flen == 3 && !memcmp(fn, "url", 3))
					f = F_URL;
				else if (flen == 3 && !memcmp(fn, "uri", 3))
					f = F_URI;
				else
					return syntax(err, err_len, text, open, "unknown filter");
				plen = (size_t)(bar - tag);
			}
			if (!valid_path(tag, plen))
				return syntax(err, err_len, text, open, "bad name");
			if (add_leaf(l, N_VAR, tag, plen, f))
				return BANDITORE_ENOMEM;
		}
	}
	if (depth)
		return syntax(err, err_len, text, stack[depth].opened_at, "block not closed");
	return 0;
}

int tpl_set_add(struct tpl_set *set, const char *name, const char *text, size_t len,
		char *err, size_t err_len)
{
	struct node root;
	int rc, slot = -1;

	if (!set || !name || !text || strlen(name) >= TPL_NAME_MAX)
		return BANDITORE_EINVAL;
	memset(&root, 0, sizeof(root));
	rc = parse(&root, text, len, err, err_len);
	if (rc) {
		node_clear(&root);
		return rc;
	}
	for (int i = 0; i < set->n_templates; i++)
		if (!strcmp(set->templates[i].name, name))
			slot = i;
	if (slot < 0) {
		if (set->n_templates == TPL_TEMPLATES_MAX) {
			node_clear(&root);
			return BANDITORE_ETOOBIG;
		}
		slot = set->n_templates++;
	} else {
		node_clear(&set->templates[slot].root);
	}
	snprintf(set->templates[slot].name, TPL_NAME_MAX, "%s", name);
	set->templates[slot].root = root;
	return 0;
}

static const struct template *find(const struct tpl_set *set, const char *name)
{
	for (int i = 0; i < set->n_templates; i++)
		if (!strcmp(set->templates[i].name, name))
			return &set->templates[i];
	return NULL;
}

int tpl_set_has(const struct tpl_set *set, const char *name)
{
	return set && name && find(set, name) != NULL;
}

/* --- catalogs (.po) --- */

/* Appends the C-escaped string starting at the quote `p` to `b`; NULL when malformed. */
static const char *po_string(const char *p, const char *end, struct buf *b)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end && *p != '"'; p++) {
		char c = *p;
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		}
		if (buf_append(b, &c, 1))
			return NULL;
	}
	return p < end ? p + 1 : NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->msgid, ((const struct entry *)b)->msgid);
}

static int catalog_add(struct catalog *c, struct buf *id, struct buf *str)
{
	char *msgid, *msgstr;

	if (id->len == 0 || str->len == 0)
		return 0; /* the header, or an untranslated entry */
	msgid = collapse(buf_cstr(id), id->len);
	msgstr = strdup(buf_cstr(str));
	if (!msgid || !msgstr)
		goto fail;
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 64;
		struct entry *e = realloc(c->entries, (size_t)cap * sizeof(*e));
		if (!e)
			goto fail;
		c->entries = e;
		c->cap = cap;
	}
	c->entries[c->n++] = (struct entry){ msgid, msgstr };
	return 0;
fail:
	free(msgid);
	free(msgstr);
	return BANDITORE_ENOMEM;
}

int tpl_set_add_catalog(struct tpl_set *set, const char *lang, const char *text, size_t len,
			char *err, size_t err_len)
{
	struct catalog c;
	struct buf id, str, *cur = NULL;
	const char *p = text, *end = text + len;
	int rc = 0;

	if (!set || !lang || !text || strlen(lang) >= TPL_LANG_MAX)
		return BANDITORE_EINVAL;
	if (set->n_catalogs == TPL_CATALOGS_MAX)
		return BANDITORE_ETOOBIG;
	memset(&c, 0, sizeof(c));
	snprintf(c.lang, sizeof(c.lang), "%s", lang);
	buf_init(&id, 16384);
	buf_init(&str, 16384);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *q = p;
		if (!eol)
			eol = end;
		while (q < eol && isspace((unsigned char)*q))
			q++;
		if (q == eol || *q == '#') {
			/* blank or comment */
		} else if (!strncmp(q, "msgid ", 6)) {
			if (cur == &str && (rc = catalog_add(&c, &id, &str)))
				goto fail;
			buf_reset(&id);
			buf_reset(&str);
			cur = &id;
			if (!po_string(q + 6, eol, cur))
				goto malformed;
		} else if (!strncmp(q, "msgstr ", 7)) {
			if (cur != &id)
				goto malformed;
			cur = &str;
			if (!po_string(q + 7, eol, cur))
				goto malformed;
		} else if (*q == '"' && cur) {
			if (!po_string(q, eol, cur))
				goto malformed;
		} else {
			goto malformed;
		}
		p = eol + 1;
		continue;
malformed:
		rc = syntax(err, err_len, text, p, "malformed catalog line");
		goto fail;
	}
	if (cur == &str && (rc = catalog_add(&c, &id, &str)))
		goto fail;
	qsort(c.entries, (size_t)c.n, sizeof(c.entries[0]), entry_cmp);
	set->catalogs[set->n_catalogs++] = c;
	buf_free(&id);
	buf_free(&str);
	return 0;
fail:
	buf_free(&id);
	buf_free(&str);
	catalog_clear(&c);
	return rc;
}

const char *tpl_translate(const struct tpl_set *set, const char *lang, const char *msgid)
{
	if (!set || !lang || !msgid)
		return msgid;
	for (int i = 0; i < set->n_catalogs; i++) {
		const struct catalog *c = &set->catalogs[i];
		struct entry key = { (char *)msgid, NULL }, *e;
		if (strcmp(c->lang, lang))
			continue;
		e = bsearch(&key, c->entries, (size_t)c->n, sizeof(key), entry_cmp);
		if (e)
			return e->msgstr;
	}
	return msgid;
}

/* --- rendering --- */

int tpl_escape_html(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		const char *ent;
		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		if (buf_append(out, s + run, i - run) || buf_appends(out, ent))
			return BANDITORE_ETOOBIG;
		run = i + 1;
	}
	return buf_append(out, s + run, len - run) ? BANDITORE_ETOOBIG : 0;
}

struct render {
	const struct tpl_set *set;
	const char *lang;
	struct buf *out;
	const json_t *ctx[TPL_STACK_MAX];
	int index[TPL_STACK_MAX]; /* the item's position for an {{#each}} frame, else -1 */
	int n;
	int includes;
};

static const json_t *localized(const struct render *r, const json_t *v)
{
	if (json_is_object(v) && json_object_get(v, "it")) {
		const json_t *t = json_object_get(v, r->lang);
		return json_is_string(t) && json_string_length(t) ? t : json_object_get(v, "it");
	}
	return v;
}

/* The value at `path` (missing: NULL). *index gets the innermost {{#each}} position for
 * @index / @number. */
static const json_t *lookup(const struct render *r, const char *path, int *index)
{
	const json_t *v = NULL;
	const char *seg = path, *dot;
	char key[128];

	*index = -1;
	if (!strcmp(path, "."))
		return r->ctx[r->n - 1];
	if (path[0] == '@') {
		for (int i = r->n - 1; i >= 0; i--)
			if (r->index[i] >= 0) {
				*index = r->index[i] + (strcmp(path, "@number") ? 0 : 1);
				break;
			}
		return NULL;
	}
	dot = strchr(seg, '.');
	snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - seg) : (int)strlen(seg), seg);
	for (int i = r->n - 1; i >= 0 && !v; i--)
		if (json_is_object(r->ctx[i]))
			v = json_object_get(r->ctx[i], key);
	while (v && dot) {
		seg = dot + 1;
		dot = strchr(seg, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - seg) : (int)strlen(seg), seg);
		v = json_is_object(v) ? json_object_get(v, key) : NULL;
	}
	return v;
}

static int truthy(const json_t *v, int index)
{
	if (index >= 0)
		return 1;
	switch (json_typeof(v ? v : json_null())) {
	case JSON_OBJECT: return json_object_size(v) > 0;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0.0;
	case JSON_TRUE: return 1;
	default: return 0;
	}
}

/* The value as text in tmp (numbers) or borrowed (strings); NULL: prints nothing. */
static const char *as_text(const json_t *v, int index, char *tmp, size_t cap, size_t *len)
{
	if (index >= 0)
		snprintf(tmp, cap, "%d", index);
	else if (json_is_string(v)) {
		*len = json_string_length(v);
		return json_string_value(v);
	} else if (json_is_integer(v))
		snprintf(tmp, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(tmp, cap, "%g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(tmp, cap, "true");
	else
		return NULL;
	*len = strlen(tmp);
	return tmp;
}

static int safe_url(const char *s, size_t len)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:", "tel:" };

	if (len == 0)
		return 0;
	if (s[0] == '/' || s[0] == '?' || s[0] == '#')
		return 1;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if (len > n && !strncasecmp(s, schemes[i], n))
			return 1;
	}
	return 0;
}

static int uri_encode(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3] = { '%', hex[c >> 4], hex[c & 15] };
		int rc = isalnum(c) || strchr("-._~", c) ? buf_append(out, &s[i], 1)
							: buf_append(out, e, 3);
		if (rc)
			return BANDITORE_ETOOBIG;
	}
	return 0;
}

static int render_list(struct render *r, const struct nodelist *l);

static int push(struct render *r, const json_t *v, int index)
{
	if (r->n == TPL_STACK_MAX)
		return BANDITORE_EINVAL;
	r->ctx[r->n] = v;
	r->index[r->n] = index;
	r->n++;
	return 0;
}

static int render_node(struct render *r, const struct node *nd)
{
	const json_t *v;
	const char *s;
	char tmp[64];
	size_t len = 0;
	int index, rc = 0;

	switch (nd->kind) {
	case N_TEXT:
		return buf_append(r->out, nd->arg, nd->len) ? BANDITORE_ETOOBIG : 0;
	case N_TRANS:
		s = tpl_translate(r->set, r->lang, nd->arg);
		return tpl_escape_html(r->out, s, strlen(s));
	case N_VAR:
	case N_RAW:
		v = localized(r, lookup(r, nd->arg, &index));
		s = as_text(v, index, tmp, sizeof(tmp), &len);
		if (!s)
			return 0;
		if (nd->kind == N_RAW)
			return buf_append(r->out, s, len) ? BANDITORE_ETOOBIG : 0;
		if (nd->filter == F_URI)
			return uri_encode(r->out, s, len);
		if (nd->filter == F_URL && !safe_url(s, len))
			return buf_appends(r->out, "#") ? BANDITORE_ETOOBIG : 0;
		return tpl_escape_html(r->out, s, len);
	case N_IF:
	case N_UNLESS:
		v = lookup(r, nd->arg, &index);
		if (truthy(localized(r, v), index) == (nd->kind == N_IF))
			return render_list(r, &nd->body);
		return render_list(r, &nd->alt);
	case N_WITH:
		v = lookup(r, nd->arg, &index);
		if (!truthy(v, -1))
			return 0;
		if ((rc = push(r, v, -1)))
			return rc;
		rc = render_list(r, &nd->body);
		r->n--;
		return rc;
	case N_EACH:
		v = lookup(r, nd->arg, &index);
		if (!json_is_array(v) || json_array_size(v) == 0)
			return render_list(r, &nd->alt);
		for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
			if ((rc = push(r, json_array_get(v, i), (int)i)))
				return rc;
			rc = render_list(r, &nd->body);
			r->n--;
		}
		return rc;
	case N_INCLUDE: {
		const struct template *t = find(r->set, nd->arg);
		if (!t)
			return BANDITORE_ENOTFOUND;
		if (r->includes >= TPL_DEPTH_MAX)
			return BANDITORE_EINVAL;
		r->includes++;
		rc = render_list(r, &t->root.body);
		r->includes--;
		return rc;
	}
	case N_ROOT:
		return render_list(r, &nd->body);
	}
	return 0;
}

static int render_list(struct render *r, const struct nodelist *l)
{
	for (int i = 0; i < l->n; i++) {
		int rc = render_node(r, &l->items[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int tpl_render(const struct tpl_set *set, const char *name, const json_t *data,
	       const char *lang, struct buf *out)
{
	const struct template *t;
	struct render r;

	if (!set || !name || !out)
		return BANDITORE_EINVAL;
	t = find(set, name);
	if (!t)
		return BANDITORE_ENOTFOUND;
	memset(&r, 0, sizeof(r));
	r.set = set;
	r.lang = lang ? lang : "it";
	r.out = out;
	r.ctx[0] = data;
	r.index[0] = -1;
	r.n = 1;
	return render_list(&r, &t->root.body);
}

const char *tpl_pick_lang(const char *query_lang, const char *accept_language)
{
	double best_q = -1.0;
	const char *best = "it";
	const char *p = accept_language;

	if (query_lang && !strcmp(query_lang, "en"))
		return "en";
	if (query_lang && !strcmp(query_lang, "it"))
		return "it";
	while (p && *p) {
		const char *end = strchr(p, ','), *semi;
		size_t n = end ? (size_t)(end - p) : strlen(p);
		double q = 1.0;
		const char *tag = p;

		while (n && isspace((unsigned char)*tag)) {
			tag++;
			n--;
		}
		semi = memchr(tag, ';', n);
		if (semi) {
			const char *qs = strstr(semi, "q=");
			if (qs && qs < tag + n)
				q = strtod(qs + 2, NULL);
		}
		if (n >= 2 && (tag[2] == '-' || tag[2] == ';' || tag[2] == ',' || n == 2 ||
			       isspace((unsigned char)tag[2])) && q > best_q) {
			if (!strncasecmp(tag, "it", 2)) {
				best = "it";
				best_q = q;
			} else if (!strncasecmp(tag, "en", 2)) {
				best = "en";
				best_q = q;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return best;
}
