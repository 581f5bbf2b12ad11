/*
 * import.h - bringing the numbers of an existing broadcast list into Banditore.
 *
 * Comuni ran WhatsApp "liste broadcast" by hand (256 numbers a list, each citizen had
 * saved the comune's number). Their consent was given then, by some method, under some
 * version of the policy: an import must carry all three, per number, so that each
 * imported subscriber has a consent receipt as good as one made by keyword.
 *
 * The CSV file has a header line naming the four columns, in any order:
 *
 *     number,consent_date,consent_method,policy_version
 *     +39 333 000 0001,2023-04-12,lista broadcast,policy 2023
 *
 * separated by ',' or ';' (as the header is), with RFC 4180 quotes where a value holds
 * the separator; a UTF-8 byte order mark and CRLF line ends are accepted, blank lines
 * skipped. number is an international number (E.164, with its "+" or "00": a number
 * without its country is refused, not guessed), the date
 * YYYY-MM-DD (a real day, not in the future), the method 1 to IMPORT_METHOD_MAX bytes,
 * the policy version 1 to IMPORT_POLICY_MAX bytes. A number may appear once.
 *
 * Parsing is pure: every problem of the file is reported with its line, and the caller
 * stores nothing unless there is none (the whole file is one transaction).
 */
#ifndef BANDITORE_IMPORT_H
#define BANDITORE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/e164.h"
#include "common/keyfile.h"
#include "store/store.h"

#define IMPORT_FILE_MAX (64 * 1024 * 1024) /* bytes of a CSV file */
#define IMPORT_METHOD_MAX 100              /* bytes of consent_method (kept in consent_detail) */
#define IMPORT_POLICY_MAX 64               /* bytes of policy_version (the receipt's column) */
#define IMPORT_ERRORS_MAX 10000            /* problems listed before "and more" */
#define IMPORT_MESSAGE_MAX 256

struct import_row {
	int line;                             /* in the file, from 1 (the header) */
	char number[E164_MAX];                /* canonical "+39..." */
	int64_t consented_at;                 /* noon UTC of consent_date (the hour is unknown) */
	char method[IMPORT_METHOD_MAX + 1];   /* as written */
	char policy_version[IMPORT_POLICY_MAX + 1];
};

struct import_error {
	int line;                             /* 0: not about one line (an empty file) */
	char message[IMPORT_MESSAGE_MAX];     /* Italian or English (T()), no number in it */
};

struct import_result {
	struct import_row *rows;              /* the valid rows, in file order */
	int n_rows;
	struct import_error *errors;          /* by line */
	int n_errors;
	int more_errors;                      /* problems past IMPORT_ERRORS_MAX, not listed */
};

/* Parses `len` bytes of CSV at time `now` (dates after now's day are refused). Returns 0
 * (also when problems were found: out->n_errors) or BANDITORE_ENOMEM; free with
 * import_result_clear. Problems say what is wrong but never repeat the number. */
int import_csv_parse(const char *data, size_t len, int64_t now, struct import_result *out);
void import_result_clear(struct import_result *r);

/* Records `row` as a subscriber of `platform` in the caller's transaction: method
 * "import", consent_detail the original method, joined_at its consent date, no message
 * from the person yet (so WhatsApp needs a template to reach them). *joined is 0, and
 * nothing is changed, when the number is a subscriber already. hash, sealed and
 * *sealed_len (sealed has STORE_SEALED_MAX bytes) receive the number's keyed hash and
 * sealed form, for the notice. Counts a join. */
int import_join(struct store *st, const struct keyfile_keys *keys, int platform,
		const struct import_row *row, int64_t now, int *joined,
		uint8_t hash[CRYPTO_HASH_LEN], uint8_t *sealed, size_t *sealed_len);

/* The outbox body of a template message: {"template": NAME, "language": L, "params":
 * [...]} (caller frees), as delivery/replies.c sends it. NULL when out of memory. */
char *import_template_body(const char *name, const char *language, const char *const *params,
			   int n_params);

#endif
