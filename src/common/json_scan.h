/*
 * json_scan.h - one validating pass over JSON bytes, for the few hot parsers that read a
 * handful of fields from a body and would otherwise build a whole jansson tree for it
 * (connectors/whatsapp_answer.c, inbound/whatsapp_payload_scan.c).
 *
 * The scanner is strict in one direction only: whatever it accepts, jansson accepts too
 * and reads the same way; whenever it is not certain (a number jansson might not
 * represent, an escape in a key, nesting deeper than the caller's limit, anything
 * malformed) a function returns -1 and the caller hands the body to jansson, which then
 * decides. Each user proves the agreement with a differential fuzz target.
 *
 * Nothing is allocated: strings are reported as bounds into the caller's bytes, which
 * must outlive the scan.
 */
#ifndef BANDITORE_JSON_SCAN_H
#define BANDITORE_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Strings may hold any valid UTF-8 and \u escapes, checked as jansson checks them;
 * without it only printable ASCII and the one-letter escapes are certain. */
#define JSON_SCAN_UTF8 1u
/* A key twice in one object is not certain (jansson's JSON_REJECT_DUPLICATES refuses
 * it), and neither is an object with more than JSON_SCAN_KEYS_MAX keys (the check is a
 * comparison with every earlier key). */
#define JSON_SCAN_UNIQUE 2u
#define JSON_SCAN_KEYS_MAX 32

/* What a member or element callback returns when it leaves the value to the scanner. */
#define JSON_SCAN_SKIP 1

struct json_scan {
	const char *p, *end; /* the bytes still to read */
	int depth;           /* objects and arrays open around p */
	int depth_max;       /* one more is not certain */
	unsigned flags;      /* JSON_SCAN_* */
};

/* A string's raw content [b, e) between its quotes; plain is 1 when it holds no escape
 * (then the bytes are its value). */
struct json_scan_str {
	const char *b, *e;
	int plain;
};

/* `body` is borrowed for the whole scan. */
void json_scan_init(struct json_scan *s, const char *body, size_t len, int depth_max,
		    unsigned flags);

/* 1 when the next byte after whitespace is `c` (not consumed), else 0. */
int json_scan_at(struct json_scan *s, char c);

/* Each of these reads one value of its kind after whitespace: 0 when it was
 * well-formed and certain, -1 otherwise. */
int json_scan_string(struct json_scan *s, struct json_scan_str *str);
/* -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 15 digits and no exponent. *integer (either
 * pointer may be NULL) says whether it had no fraction, and *value holds it then. */
int json_scan_number(struct json_scan *s, int64_t *value, int *integer);
int json_scan_skip(struct json_scan *s); /* any value, containers included */

/* An object: `member` is called at each value with its key (keys with escapes are not
 * certain) and returns 0 when it read the value, JSON_SCAN_SKIP to have it skipped, -1
 * when not certain. A NULL `member` skips every value. */
typedef int (*json_scan_member_fn)(struct json_scan *s, const struct json_scan_str *key,
				   void *arg);
int json_scan_object(struct json_scan *s, json_scan_member_fn member, void *arg);

/* An array, the same way, by the element's index. */
typedef int (*json_scan_element_fn)(struct json_scan *s, int index, void *arg);
int json_scan_array(struct json_scan *s, json_scan_element_fn element, void *arg);

/* 0 when only whitespace is left, as jansson wants after the root. */
int json_scan_end(struct json_scan *s);

/* 1 when the key or plain string is exactly `name`. */
int json_scan_is(const struct json_scan_str *str, const char *name);

/* The string's value, escapes decoded as jansson decodes them, NUL-terminated in
 * out[cap]: its length, or -1 when it does not fit. */
long json_scan_copy(const struct json_scan_str *str, char *out, size_t cap);

#endif
