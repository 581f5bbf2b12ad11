/*
 * lexicon.c - the comune's lexicons: terms per kind, folded like keywords, kept in one
 * byte trie, and the scan that finds them in a text word by word.
 *
 * A term is the folded words of a line joined by one space ("Candidato  Sindaco" is
 * "candidato sindaco"); a final '*' makes the last word a prefix ("candidat*" matches
 * "candidati", "candidata"); a leading '!' makes the line an exception: a finding of
 * that kind lying entirely within a match of the exception is dropped ("!si vota" keeps
 * "vota" from flagging "domenica si vota dalle 7 alle 23"). A leading '+' or '~' puts the
 * term in one of the kind's two proximity sets: a '+' term (who: "stranier*") and a '~'
 * term (what is said or done to them: "vietato", "tornino a casa") together make a finding
 * of the kind when at most NEAR_GAP words lie between them, in either order and within
 * one sentence ("vietato l'ingresso agli stranieri"), though neither is one alone. One
 * trie holds every kind,
 * each node saying which kinds end there, so a scan walks each word's bytes once per
 * starting word, whatever the number of terms: the cost is the text's length, not the
 * lexicon's size. Edges live in one open-addressing hash table keyed by (node, byte).
 */
#include "policy/content.h"
#include "policy/content_internal.h"

#include "common/err.h"
#include "common/keyword.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define TERM_RAW_MAX 128     /* bytes of a term as written */
#define TERM_NORM_MAX 512    /* bytes of a folded term */
#define TERM_WORDS_MAX 16    /* words in one term: the scan's look-ahead */
#define LEX_NODES_MAX (1u << 22) /* about 4 million bytes of terms: far beyond any list */
#define NEAR_GAP 4           /* words at most between a '+' term and a '~' term */

struct lex_node {
	uint16_t exact;         /* kinds with a term ending here */
	uint16_t prefix;        /* kinds with a '*' term ending here */
	uint16_t except;        /* kinds with an exception ending here */
	uint16_t except_prefix; /* kinds with a '*' exception ending here */
	uint16_t near[2];       /* kinds with a '+' (0) or '~' (1) term ending here */
	uint16_t near_prefix[2]; /* the same, '*' terms */
	uint32_t term;          /* 1 + offset of the folded term in `terms`, or 0 */
};

struct policy_lexicon {
	struct lex_node *nodes;
	uint32_t n_nodes, cap_nodes;
	uint32_t *edge_key; /* node << 8 | byte, 0 = empty (a byte is never 0) */
	uint32_t *edge_val; /* child node */
	uint32_t edge_cap, n_edges; /* edge_cap: a power of two */
	uint32_t root[256];  /* the root's children, looked up once per word: no hashing */
	char *terms;
	size_t terms_len, terms_cap;
	int counts[POLICY_K_LEXICON_COUNT];
	int max_words;
};

static uint32_t edge_slot(uint32_t key, uint32_t cap)
{
	return (key * 0x9E3779B1u) & (cap - 1);
}

static uint32_t lex_child(const struct policy_lexicon *lex, uint32_t node, unsigned char b)
{
	uint32_t key = node << 8 | b, i;

	if (node == 0)
		return lex->root[b];
	i = edge_slot(key, lex->edge_cap);
	for (;;) {
		uint32_t k = lex->edge_key[i];
		if (k == key)
			return lex->edge_val[i];
		if (k == 0)
			return 0; /* the root is nobody's child: 0 means none */
		i = (i + 1) & (lex->edge_cap - 1);
	}
}

static int edges_grow(struct policy_lexicon *lex)
{
	uint32_t cap = lex->edge_cap * 2;
	uint32_t *keys = calloc(cap, sizeof(*keys)), *vals = calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return BANDITORE_ENOMEM;
	}
	for (uint32_t i = 0; i < lex->edge_cap; i++) {
		uint32_t k = lex->edge_key[i], j;
		if (!k)
			continue;
		j = edge_slot(k, cap);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = k;
		vals[j] = lex->edge_val[i];
	}
	free(lex->edge_key);
	free(lex->edge_val);
	lex->edge_key = keys;
	lex->edge_val = vals;
	lex->edge_cap = cap;
	return 0;
}

static int node_new(struct policy_lexicon *lex, uint32_t *out)
{
	if (lex->n_nodes == lex->cap_nodes) {
		uint32_t cap = lex->cap_nodes * 2;
		struct lex_node *n;
		if (cap > LEX_NODES_MAX)
			return BANDITORE_ETOOBIG;
		n = realloc(lex->nodes, cap * sizeof(*n));
		if (!n)
			return BANDITORE_ENOMEM;
		lex->nodes = n;
		lex->cap_nodes = cap;
	}
	memset(&lex->nodes[lex->n_nodes], 0, sizeof(lex->nodes[0]));
	*out = lex->n_nodes++;
	return 0;
}

/* The child of `node` by `b`, created when missing. */
static int child_make(struct policy_lexicon *lex, uint32_t node, unsigned char b, uint32_t *out)
{
	uint32_t key = node << 8 | b, i, c;
	int rc;

	if ((c = lex_child(lex, node, b)) != 0) {
		*out = c;
		return 0;
	}
	if ((lex->n_edges + 1) * 2 > lex->edge_cap && (rc = edges_grow(lex)) != 0)
		return rc;
	if ((rc = node_new(lex, &c)) != 0)
		return rc;
	i = edge_slot(key, lex->edge_cap);
	while (lex->edge_key[i])
		i = (i + 1) & (lex->edge_cap - 1);
	lex->edge_key[i] = key;
	lex->edge_val[i] = c;
	lex->n_edges++;
	if (node == 0)
		lex->root[b] = c;
	*out = c;
	return 0;
}

struct policy_lexicon *policy_lexicon_new(void)
{
	struct policy_lexicon *lex = calloc(1, sizeof(*lex));

	if (!lex)
		return NULL;
	lex->cap_nodes = 256;
	lex->edge_cap = 512;
	lex->terms_cap = 1024;
	lex->nodes = calloc(lex->cap_nodes, sizeof(*lex->nodes));
	lex->edge_key = calloc(lex->edge_cap, sizeof(*lex->edge_key));
	lex->edge_val = calloc(lex->edge_cap, sizeof(*lex->edge_val));
	lex->terms = malloc(lex->terms_cap);
	if (!lex->nodes || !lex->edge_key || !lex->edge_val || !lex->terms) {
		policy_lexicon_free(lex);
		return NULL;
	}
	lex->n_nodes = 1; /* the root */
	lex->max_words = 1;
	return lex;
}

void policy_lexicon_free(struct policy_lexicon *lex)
{
	if (!lex)
		return;
	free(lex->nodes);
	free(lex->edge_key);
	free(lex->edge_val);
	free(lex->terms);
	free(lex);
}

int policy_lexicon_count(const struct policy_lexicon *lex, enum policy_kind kind)
{
	if (!lex || (int)kind < 0 || kind >= POLICY_K_LEXICON_COUNT)
		return 0;
	return lex->counts[kind];
}

/* One line of a lexicon file, understood. */
struct term {
	int empty;      /* a blank or comment line */
	int except;     /* '!' */
	int near;       /* 0, or 1 for '+' and 2 for '~' (proximity sets) */
	int prefix;     /* '*' */
	int words;
	size_t len;
	char norm[TERM_NORM_MAX];
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int valid_utf8(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n;
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0)
			return 0;
		i += (size_t)n;
	}
	return 1;
}

/* Folds `len` bytes into t->norm as words joined by one space. */
static int fold_term(const char *s, size_t len, struct term *t)
{
	struct keyword_word w;
	size_t pos = 0;

	t->len = 0;
	t->words = 0;
	while (keyword_next_word(s, len, &pos, &w)) {
		if (w.truncated || ++t->words > TERM_WORDS_MAX)
			return BANDITORE_EINVAL;
		if (t->len + w.len + 2 > sizeof(t->norm))
			return BANDITORE_EINVAL;
		if (t->len > 0)
			t->norm[t->len++] = ' ';
		memcpy(t->norm + t->len, w.norm, w.len);
		t->len += w.len;
	}
	t->norm[t->len] = '\0';
	return t->len > 0 ? 0 : BANDITORE_EINVAL;
}

static int parse_line(const char *s, size_t len, struct term *t)
{
	size_t a = 0, b;
	const char *hash;

	memset(t, 0, sizeof(*t) - sizeof(t->norm));
	if (!valid_utf8(s, len))
		return BANDITORE_EINVAL;
	hash = memchr(s, '#', len);
	b = hash ? (size_t)(hash - s) : len;
	while (a < b && is_space(s[a]))
		a++;
	while (b > a && is_space(s[b - 1]))
		b--;
	if (a == b) {
		t->empty = 1;
		return 0;
	}
	if (s[a] == '!') {
		t->except = 1;
		a++;
	} else if (s[a] == '+' || s[a] == '~') {
		t->near = s[a] == '+' ? 1 : 2;
		a++;
	}
	if (b > a && s[b - 1] == '*') {
		t->prefix = 1;
		b--;
	}
	if (b - a > TERM_RAW_MAX)
		return BANDITORE_EINVAL;
	return fold_term(s + a, b - a, t);
}

static int terms_store(struct policy_lexicon *lex, const char *s, size_t len, uint32_t *off)
{
	if (lex->terms_len + len + 1 > lex->terms_cap) {
		size_t cap = lex->terms_cap * 2 + len + 1;
		char *n;
		if (cap > UINT32_MAX - 1)
			return BANDITORE_ETOOBIG;
		n = realloc(lex->terms, cap);
		if (!n)
			return BANDITORE_ENOMEM;
		lex->terms = n;
		lex->terms_cap = cap;
	}
	memcpy(lex->terms + lex->terms_len, s, len);
	lex->terms[lex->terms_len + len] = '\0';
	*off = (uint32_t)lex->terms_len + 1;
	lex->terms_len += len + 1;
	return 0;
}

static int insert(struct policy_lexicon *lex, enum policy_kind kind, const struct term *t)
{
	uint32_t node = 0;
	uint16_t bit = (uint16_t)(1u << kind), *mask;
	struct lex_node *n;
	int rc;

	for (size_t i = 0; i < t->len; i++)
		if ((rc = child_make(lex, node, (unsigned char)t->norm[i], &node)) != 0)
			return rc;
	n = &lex->nodes[node];
	if (!n->term && (rc = terms_store(lex, t->norm, t->len, &n->term)) != 0)
		return rc;
	if (t->near)
		mask = t->prefix ? &n->near_prefix[t->near - 1] : &n->near[t->near - 1];
	else
		mask = t->except ? (t->prefix ? &n->except_prefix : &n->except)
				 : (t->prefix ? &n->prefix : &n->exact);
	if (!(*mask & bit)) {
		*mask |= bit;
		if (!t->except)
			lex->counts[kind]++;
	}
	if (t->words > lex->max_words)
		lex->max_words = t->words;
	return 0;
}

int policy_lexicon_add(struct policy_lexicon *lex, enum policy_kind kind, const char *data,
		       size_t len, int *bad_line)
{
	struct term t;
	int pass, rc;

	if (bad_line)
		*bad_line = 0;
	if (!lex || (!data && len > 0) || (int)kind < 0 || kind >= POLICY_K_LEXICON_COUNT)
		return BANDITORE_EINVAL;
	/* Two passes: every line is checked before any is added. */
	for (pass = 0; pass < 2; pass++) {
		size_t pos = 0;
		int line = 0;
		while (pos < len) {
			const char *nl = memchr(data + pos, '\n', len - pos);
			size_t end = nl ? (size_t)(nl - data) : len;
			line++;
			if (parse_line(data + pos, end - pos, &t) != 0) {
				if (bad_line)
					*bad_line = line;
				return BANDITORE_EINVAL;
			}
			if (pass == 1 && !t.empty && (rc = insert(lex, kind, &t)) != 0)
				return rc;
			pos = nl ? end + 1 : len;
		}
	}
	return 0;
}

/* ---- scanning ---- */

#define RING TERM_WORDS_MAX

struct match {
	int last;       /* index of the last word matched */
	uint32_t term;
	int prefix;
};

/* Matches found from one starting word: per kind, read only where `mask` has the bit. */
struct matches {
	uint16_t mask;
	struct match m[POLICY_K_LEXICON_COUNT];
};

static void record(struct matches *ms, uint16_t mask, int j, uint32_t term, int prefix)
{
	ms->mask |= mask;
	while (mask) {
		int k = __builtin_ctz(mask);
		mask &= (uint16_t)(mask - 1);
		ms->m[k].last = j;
		ms->m[k].term = term;
		ms->m[k].prefix = prefix;
	}
}

/* The latest match of a proximity set ('+' or '~') of one kind. */
struct near_hit {
	int valid;
	size_t start, end;         /* bytes */
	size_t first_word, last_word; /* word numbers in the text */
	size_t sentence;
	uint32_t term;
	int prefix;
};

struct scan_state {
	size_t last_end[POLICY_K_LEXICON_COUNT];   /* end of the last finding per kind */
	size_t except_end[POLICY_K_LEXICON_COUNT]; /* end of the furthest exception */
	struct near_hit near[POLICY_K_LEXICON_COUNT][2];
	size_t word_no;  /* the number of the word a match starts at */
	size_t sentence; /* sentences seen before it */
	size_t prev_end; /* where the previous word ended */
};

/* The term of a match as a finding's detail: its folded words, '*' when a prefix. */
static size_t term_detail(const struct policy_lexicon *lex, uint32_t term, int prefix, char *out,
			  size_t cap)
{
	const char *t = lex->terms + term - 1;
	size_t tl = strlen(t), room;

	if (cap < 2)
		return 0;
	room = cap - 1 - (prefix ? 1 : 0); /* and one byte left for the NUL */
	if (tl > room)
		tl = room;
	memcpy(out, t, tl);
	if (prefix)
		out[tl++] = '*';
	return tl;
}

static void emit_term(const struct policy_lexicon *lex, enum policy_kind k, const struct match *m,
		      size_t start, size_t end, struct content_out *o)
{
	char detail[POLICY_DETAIL_MAX];
	size_t tl = term_detail(lex, m->term, m->prefix, detail, sizeof(detail));

	content_emit(o, k, start, end - start, detail, tl);
}

/* A '+' term and a '~' term close together: one finding from the first to the last byte,
 * its detail both terms ("stranier* + vietato"). */
static void emit_near(const struct policy_lexicon *lex, enum policy_kind k,
		      const struct near_hit *a, const struct near_hit *b, struct content_out *o)
{
	char detail[POLICY_DETAIL_MAX];
	size_t dl = term_detail(lex, a->term, a->prefix, detail, sizeof(detail) / 2);

	memcpy(detail + dl, " + ", 3);
	dl += 3;
	dl += term_detail(lex, b->term, b->prefix, detail + dl, sizeof(detail) - dl);
	content_emit(o, k, a->start, b->end - a->start, detail, dl);
}

/* A sentence ends between two words at '.', '!', '?', ';' or a line break. */
static int sentence_break(const char *text, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (text[i] == '.' || text[i] == '!' || text[i] == '?' || text[i] == ';' ||
		    text[i] == '\n')
			return 1;
	return 0;
}

/* The proximity sets' matches starting at the current word: each one meets the other
 * set's latest match of its kind, and becomes its set's latest. */
static void match_near(const struct policy_lexicon *lex, const struct matches *near,
		       const struct keyword_word *ring, int head, struct scan_state *st,
		       struct content_out *o)
{
	for (int s = 0; s < 2; s++) {
		for (uint16_t mask = near[s].mask; mask; mask &= (uint16_t)(mask - 1)) {
			int k = __builtin_ctz(mask);
			const struct match *m = &near[s].m[k];
			const struct near_hit *other = &st->near[k][1 - s];
			struct near_hit hit;

			hit.valid = 1;
			hit.start = ring[head].start;
			hit.end = ring[(head + m->last) % RING].end;
			hit.first_word = st->word_no;
			hit.last_word = st->word_no + (size_t)m->last;
			hit.sentence = st->sentence;
			hit.term = m->term;
			hit.prefix = m->prefix;
			if (other->valid && other->sentence == hit.sentence &&
			    other->last_word < hit.first_word &&
			    hit.first_word - other->last_word - 1 <= NEAR_GAP &&
			    hit.end > st->except_end[k] && other->start >= st->last_end[k]) {
				st->last_end[k] = hit.end;
				emit_near(lex, (enum policy_kind)k, other, &hit, o);
			}
			st->near[k][s] = hit;
		}
	}
}

/* Every term starting at ring[head] (n words available). */
static void match_at(const struct policy_lexicon *lex, const char *text,
		     const struct keyword_word *ring, int head, int n, struct scan_state *st,
		     struct content_out *o)
{
	struct matches found, except, near[2];
	const struct keyword_word *first = &ring[head];
	uint32_t node = 0;
	uint16_t mask;

	if (st->word_no > 0 && sentence_break(text, st->prev_end, first->start))
		st->sentence++;
	found.mask = except.mask = near[0].mask = near[1].mask = 0;
	for (int j = 0; j < n; j++) {
		const struct keyword_word *w = &ring[(head + j) % RING];
		const struct lex_node *nd;
		if (j > 0 && (node = lex_child(lex, node, ' ')) == 0)
			break;
		for (size_t b = 0; b < w->len; b++) {
			if ((node = lex_child(lex, node, (unsigned char)w->norm[b])) == 0)
				goto done;
			nd = &lex->nodes[node];
			if (nd->prefix | nd->except_prefix | nd->near_prefix[0] | nd->near_prefix[1]) {
				record(&found, nd->prefix, j, nd->term, 1);
				record(&except, nd->except_prefix, j, nd->term, 1);
				record(&near[0], nd->near_prefix[0], j, nd->term, 1);
				record(&near[1], nd->near_prefix[1], j, nd->term, 1);
			}
		}
		if (w->truncated)
			break; /* only a prefix of this word is known */
		nd = &lex->nodes[node];
		if (nd->exact | nd->except | nd->near[0] | nd->near[1]) {
			record(&found, nd->exact, j, nd->term, 0);
			record(&except, nd->except, j, nd->term, 0);
			record(&near[0], nd->near[0], j, nd->term, 0);
			record(&near[1], nd->near[1], j, nd->term, 0);
		}
	}
done:
	for (mask = except.mask; mask; mask &= (uint16_t)(mask - 1)) {
		int k = __builtin_ctz(mask);
		size_t end = ring[(head + except.m[k].last) % RING].end;
		if (end > st->except_end[k])
			st->except_end[k] = end;
	}
	for (mask = found.mask & (uint16_t)~(1u << POLICY_K_SHORTENER); mask;
	     mask &= (uint16_t)(mask - 1)) {
		int k = __builtin_ctz(mask);
		size_t end = ring[(head + found.m[k].last) % RING].end;
		if (end <= st->except_end[k] || first->start < st->last_end[k])
			continue; /* within an exception, or inside the previous finding */
		st->last_end[k] = end;
		emit_term(lex, (enum policy_kind)k, &found.m[k], first->start, end, o);
	}
	if (near[0].mask | near[1].mask)
		match_near(lex, near, ring, head, st, o);
	st->prev_end = first->end;
	st->word_no++;
}

void content_scan_words(const struct policy_lexicon *lex, const char *text, size_t len,
			const struct content_spans *spans, struct content_out *o)
{
	struct keyword_word ring[RING];
	struct scan_state st;
	size_t pos = 0;
	int head = 0, n = 0, cursor = 0, eof = 0, barrier = 0;

	if (!lex || lex->n_edges == 0)
		return;
	memset(&st, 0, sizeof(st));
	for (;;) {
		/* Fill the look-ahead; a word inside a link ends the run of words before it. */
		while (!eof && !barrier && n < lex->max_words) {
			struct keyword_word *w = &ring[(head + n) % RING];
			if (!keyword_next_word(text, len, &pos, w)) {
				eof = 1;
				break;
			}
			if (spans && content_spans_cover(spans, &cursor, w->start)) {
				barrier = 1;
				break;
			}
			n++;
		}
		if (n == 0) {
			if (eof)
				break;
			barrier = 0;
			continue;
		}
		match_at(lex, text, ring, head, n, &st, o);
		head = (head + 1) % RING;
		n--;
	}
}

int content_lexicon_has_host(const struct policy_lexicon *lex, enum policy_kind kind,
			     const char *host, size_t len)
{
	struct keyword_word labels[RING];
	uint16_t bit = (uint16_t)(1u << kind);
	size_t pos = 0;
	int n = 0, total = 0;

	if (!lex || lex->n_edges == 0)
		return 0;
	/* The last RING labels of the host, in order. */
	while (keyword_next_word(host, len, &pos, &labels[total % RING]))
		total++;
	n = total < RING ? total : RING;
	for (int s = 0; s < n; s++) { /* each parent domain, longest first */
		uint32_t node = 0;
		for (int j = s; j < n; j++) {
			const struct keyword_word *w = &labels[(total - n + j) % RING];
			if (j > s && (node = lex_child(lex, node, ' ')) == 0)
				goto next;
			for (size_t b = 0; b < w->len; b++) {
				if ((node = lex_child(lex, node, (unsigned char)w->norm[b])) == 0)
					goto next;
				if (j == n - 1 && (lex->nodes[node].prefix & bit))
					return 1;
			}
			if (w->truncated)
				goto next;
		}
		if (lex->nodes[node].exact & bit)
			return 1;
next:;
	}
	return 0;
}
