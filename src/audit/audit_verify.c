/*
 * audit_verify.c - walking the audit log's chain and naming the first broken entry.
 *
 * Entries are read in sequence order, a page at a time, with one entry of look-ahead:
 * what follows a broken entry tells how it was broken. With the chain's hashes keyed,
 * an entry whose hash verifies was written by Banditore with exactly that number and
 * content; so, at the first entry that does not verify:
 *   - the next one verifies under the previous number and links to the entry before:
 *     this one was INSERTED (and the later ones renumbered to make room);
 *   - this one verifies under the next number and the next under this one: the two were
 *     REORDERED;
 *   - this one verifies under the next number: the entry that had this number was
 *     DELETED and the later ones renumbered to close the gap;
 *   - the next one links to this one's stored hash: its content was ALTERED;
 *   - otherwise it is not authentic (FORGED): altered, or added at the end.
 * A number missing from the sequence is a DELETED entry; an authentic entry that does
 * not link to the one before (e.g. spliced in from another copy of the database) is a
 * CHAIN_BROKEN.
 */
#include "audit/audit.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/i18n.h"

#define PAGE 64

struct walk {
	struct store *st;
	struct store_audit_entry *page; /* PAGE entries */
	int n, i;
	int64_t after;
	int done;
};

/* The next entry into *e: 1, 0 at the end, or the store's error. */
static int walk_next(struct walk *w, struct store_audit_entry *e)
{
	int rc;

	if (w->i == w->n) {
		if (w->done)
			return 0;
		rc = store_audit_list(w->st, w->after, INT64_MIN, INT64_MAX, w->page, PAGE, &w->n);
		if (rc)
			return rc;
		w->i = 0;
		if (w->n < PAGE)
			w->done = 1;
		if (w->n == 0)
			return 0;
		w->after = w->page[w->n - 1].seq;
	}
	memcpy(e, &w->page[w->i++], sizeof(*e));
	return 1;
}

/* 1 when e's stored hash verifies with its number set to `seq`, 0 when not, or < 0. */
static int verifies_as(const struct audit_keys *k, const struct store_audit_entry *e,
		       int64_t seq, struct store_audit_entry *tmp)
{
	uint8_t h[CRYPTO_HASH_LEN];
	int rc;

	memcpy(tmp, e, sizeof(*tmp));
	tmp->seq = seq;
	rc = audit_hash(k, tmp, h);
	if (rc)
		return rc;
	return crypto_equal(h, e->hash, CRYPTO_HASH_LEN);
}

/* Why `cur` (which does not verify) is broken, given `next` (NULL at the end). */
static int classify(const struct audit_keys *k, const struct store_audit_entry *cur,
		    const struct store_audit_entry *next, const uint8_t prev_hash[CRYPTO_HASH_LEN],
		    struct store_audit_entry *tmp, int *problem)
{
	int a, b;

	*problem = AUDIT_FORGED;
	a = verifies_as(k, cur, cur->seq + 1, tmp);
	if (a < 0)
		return a;
	if (!next || next->seq != cur->seq + 1) {
		if (a)
			*problem = AUDIT_DELETED;
		return 0;
	}
	b = verifies_as(k, next, cur->seq, tmp);
	if (b < 0)
		return b;
	if (a && b) {
		*problem = AUDIT_REORDERED;
	} else if (a) {
		*problem = AUDIT_DELETED; /* the entry here was removed, the rest moved down */
	} else if (b && crypto_equal(next->prev_hash, prev_hash, CRYPTO_HASH_LEN)) {
		*problem = AUDIT_INSERTED;
	} else if (crypto_equal(next->prev_hash, cur->hash, CRYPTO_HASH_LEN)) {
		*problem = AUDIT_ALTERED;
	}
	return 0;
}

int audit_verify(struct store *st, const struct audit_keys *k, struct audit_report *r)
{
	struct store_audit_entry *cur = NULL, *next = NULL, *tmp = NULL, *swap;
	struct walk w;
	uint8_t prev_hash[CRYPTO_HASH_LEN] = { 0 };
	int64_t expected = 1;
	int have_next, rc;

	if (!st || !k || !r)
		return BANDITORE_EINVAL;
	memset(r, 0, sizeof(*r));
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.page = calloc(PAGE, sizeof(*w.page));
	cur = calloc(1, sizeof(*cur));
	next = calloc(1, sizeof(*next));
	tmp = calloc(1, sizeof(*tmp));
	if (!w.page || !cur || !next || !tmp) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	rc = walk_next(&w, cur);
	if (rc <= 0)
		goto fail; /* empty (intact) or an error */
	for (;;) {
		int ok;

		have_next = walk_next(&w, next);
		if (have_next < 0) {
			rc = have_next;
			goto fail;
		}
		r->entries++;
		if (r->entries == 1)
			r->first_at = cur->at;
		if (cur->seq != expected) {
			/* Ordered by seq, so a number below the expected one is impossible;
			 * above it, the ones in between are gone. */
			r->problem = AUDIT_DELETED;
			r->seq = expected;
			break;
		}
		ok = verifies_as(k, cur, cur->seq, tmp);
		if (ok < 0) {
			rc = ok;
			goto fail;
		}
		if (!ok) {
			rc = classify(k, cur, have_next ? next : NULL, prev_hash, tmp, &r->problem);
			if (rc)
				goto fail;
			r->seq = cur->seq;
			break;
		}
		if (!crypto_equal(cur->prev_hash, prev_hash, CRYPTO_HASH_LEN)) {
			r->problem = AUDIT_CHAIN_BROKEN;
			r->seq = cur->seq;
			break;
		}
		memcpy(prev_hash, cur->hash, CRYPTO_HASH_LEN);
		r->last_seq = cur->seq;
		r->last_at = cur->at;
		memcpy(r->last_hash, cur->hash, CRYPTO_HASH_LEN);
		expected = cur->seq + 1;
		if (!have_next)
			break;
		swap = cur;
		cur = next;
		next = swap;
	}
	rc = 0;
fail:
	free(w.page);
	free(cur);
	free(next);
	free(tmp);
	return rc;
}

const char *audit_problem_text(int problem)
{
	switch (problem) {
	case AUDIT_INTACT:
		return T("integra", "intact");
	case AUDIT_ALTERED:
		return T("voce alterata dopo la scrittura", "entry altered after it was written");
	case AUDIT_INSERTED:
		return T("voce inserita (non scritta da Banditore)",
			 "entry inserted (not written by Banditore)");
	case AUDIT_DELETED:
		return T("voce cancellata (manca nella sequenza)",
			 "entry deleted (missing from the sequence)");
	case AUDIT_REORDERED:
		return T("voce scambiata di posto con la successiva",
			 "entry swapped with the next one");
	case AUDIT_FORGED:
		return T("voce non autentica (alterata o aggiunta)",
			 "entry not authentic (altered or added)");
	case AUDIT_CHAIN_BROKEN:
		return T("catena interrotta: la voce non segue la precedente",
			 "chain broken: the entry does not follow the one before");
	}
	return "?";
}
