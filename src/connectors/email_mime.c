/*
 * email_mime.c - the message itself: RFC 5322 headers, RFC 2047 encoded-words, a
 * multipart/alternative body (RFC 2045/2046) with quoted-printable text and HTML parts,
 * the list headers of RFC 2369 and RFC 8058, and the unsubscribe token.
 *
 * The boundary starts with "=_", which quoted-printable never writes unencoded (every
 * '=' of the data is "=3D", soft breaks are "=" CRLF), so no part can contain it.
 */
#include "connectors/email.h"

#include "common/crypto.h"
#include "common/err.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#define QP_LINE_MAX 76      /* characters of an encoded line, the soft break's '=' included */
#define WORD_PAYLOAD_MAX 45 /* bytes per encoded-word: 60 base64 characters, so that
			     * "=?UTF-8?B?" + 60 + "?=" is 72 <= 75 (RFC 2047 2) */

static const char footer_it[] = "Per non ricevere più questi avvisi:";
static const char footer_en[] = "To stop receiving these notices:";

/* 1 when [s, s+n) is valid UTF-8 without NUL. */
static int valid_utf8(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0 || cp == 0)
			return 0;
		i += (size_t)k;
	}
	return 1;
}

static int is_ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Base64 of n bytes (n <= 48) appended to `out`. */
static int append_b64(struct buf *out, const void *data, size_t n)
{
	unsigned char enc[80];
	int k;

	if (n > 48)
		return BANDITORE_EINVAL;
	k = EVP_EncodeBlock(enc, data, (int)n);
	if (k < 0)
		return BANDITORE_ECRYPTO;
	return buf_append(out, enc, (size_t)k);
}

/* `s` (valid UTF-8, no controls) as RFC 2047 "B" encoded-words, folded with CRLF SP
 * between words, never splitting a character. */
static int append_encoded_words(struct buf *out, const char *s)
{
	size_t n = strlen(s), i = 0;
	int rc = 0, first = 1;

	while (i < n && !rc) {
		size_t take = 0;
		while (i + take < n) {
			utf8proc_int32_t cp;
			utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i + take,
							      (utf8proc_ssize_t)(n - i - take), &cp);
			if (k <= 0)
				return BANDITORE_EINVAL;
			if (take + (size_t)k > WORD_PAYLOAD_MAX)
				break;
			take += (size_t)k;
		}
		if (!first)
			rc = buf_appends(out, "\r\n ");
		if (!rc)
			rc = buf_appends(out, "=?UTF-8?B?");
		if (!rc)
			rc = append_b64(out, s + i, take);
		if (!rc)
			rc = buf_appends(out, "?=");
		first = 0;
		i += take;
	}
	return rc;
}

/* A copy of a one-line header value with CR, LF and tabs as spaces and the ends trimmed,
 * into out[cap]. */
static int one_line(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in), j = 0;

	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\r' || in[n - 1] == '\n' || in[n - 1] == '\t'))
		n--;
	while (n > 0 && (*in == ' ' || *in == '\r' || *in == '\n' || *in == '\t')) {
		in++;
		n--;
	}
	if (n + 1 > cap)
		return BANDITORE_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		out[j++] = (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
	}
	out[j] = '\0';
	return 0;
}

static int append_subject(struct buf *out, const char *subject)
{
	char line[EMAIL_SUBJECT_MAX + 1];
	int rc = one_line(subject, line, sizeof(line));

	if (rc)
		return rc;
	if (!valid_utf8(line, strlen(line)))
		return BANDITORE_EINVAL;
	rc = buf_appends(out, "Subject: ");
	if (rc)
		return rc;
	/* Plain ASCII goes as it is, unless it looks like an encoded-word itself. */
	if (is_ascii_printable(line) && !strstr(line, "=?"))
		rc = buf_appends(out, line);
	else
		rc = append_encoded_words(out, line);
	return rc ? rc : buf_appends(out, "\r\n");
}

static int append_from(struct buf *out, const char *name, const char *address)
{
	char line[256];
	int rc;

	rc = buf_appends(out, "From: ");
	if (!rc && name && *name) {
		rc = one_line(name, line, sizeof(line));
		if (!rc && !valid_utf8(line, strlen(line)))
			rc = BANDITORE_EINVAL;
		if (!rc && is_ascii_printable(line) && !strstr(line, "=?")) {
			/* A quoted-string: only '"' and '\' need a backslash. */
			rc = buf_appends(out, "\"");
			for (const char *p = line; !rc && *p; p++) {
				if (*p == '"' || *p == '\\')
					rc = buf_appends(out, "\\");
				if (!rc)
					rc = buf_append(out, p, 1);
			}
			if (!rc)
				rc = buf_appends(out, "\"");
		} else if (!rc && *line) {
			rc = append_encoded_words(out, line);
		}
		if (!rc && *line)
			rc = buf_appends(out, " ");
	}
	if (!rc)
		rc = buf_appendf(out, "<%s>\r\n", address);
	return rc;
}

/* Quoted-printable of the text (RFC 2045 6.7), lines ended by CRLF, at most 76
 * characters each. Input line ends may be LF or CRLF. */
static int append_qp(struct buf *out, const char *text, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)text[i];
		char enc[3];
		size_t len;
		int at_eol;

		if (c == '\r' && i + 1 < n && text[i + 1] == '\n')
			continue;
		if (c == '\n') {
			rc = buf_appends(out, "\r\n");
			col = 0;
			continue;
		}
		at_eol = i + 1 == n || text[i + 1] == '\n' || (text[i + 1] == '\r' && i + 2 < n && text[i + 2] == '\n');
		if (((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol)) &&
		    !(c == '.' && col == 0)) {
			enc[0] = (char)c;
			len = 1;
		} else {
			/* Also a '.' opening a line: a lone "." must never end the DATA early,
			 * whatever the transport does about dot-stuffing. */
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			len = 3;
		}
		if (col + len > QP_LINE_MAX - 1) {
			rc = buf_appends(out, "=\r\n");
			col = 0;
			if (!rc && c == '.') { /* now at a line start */
				enc[0] = '=';
				enc[1] = hex[c >> 4];
				enc[2] = hex[c & 15];
				len = 3;
			}
		}
		if (!rc)
			rc = buf_append(out, enc, len);
		col += len;
	}
	if (!rc && col)
		rc = buf_appends(out, "\r\n");
	return rc;
}

static int append_html_escaped(struct buf *out, const char *s, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		switch (s[i]) {
		case '&': rc = buf_appends(out, "&amp;"); break;
		case '<': rc = buf_appends(out, "&lt;"); break;
		case '>': rc = buf_appends(out, "&gt;"); break;
		case '"': rc = buf_appends(out, "&quot;"); break;
		case '\'': rc = buf_appends(out, "&#39;"); break;
		case '\r': break;
		default: rc = buf_append(out, s + i, 1); break;
		}
	}
	return rc;
}

/* Length of a link starting at s (http:// or https://), up to a blank or a character
 * that cannot end a URL in prose; 0 when s is not a link. */
static size_t link_len(const char *s, size_t n)
{
	size_t k;

	if (n >= 8 && !strncmp(s, "https://", 8))
		k = 8;
	else if (n >= 7 && !strncmp(s, "http://", 7))
		k = 7;
	else
		return 0;
	while (k < n && (unsigned char)s[k] > ' ' && s[k] != '<' && s[k] != '>' && s[k] != '"')
		k++;
	while (k > 8 && strchr(".,;:!?)'", s[k - 1]))
		k--;
	return k;
}

/* One line of HTML: escaped text, http(s) links as <a href> to the very same URL. */
static int append_html_line(struct buf *out, const char *s, size_t n)
{
	size_t i = 0, from = 0;
	int rc = 0;

	while (i < n && !rc) {
		size_t k = (s[i] == 'h' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '(')) ?
				   link_len(s + i, n - i) : 0;
		if (!k) {
			i++;
			continue;
		}
		rc = append_html_escaped(out, s + from, i - from);
		if (!rc)
			rc = buf_appends(out, "<a href=\"");
		if (!rc)
			rc = append_html_escaped(out, s + i, k);
		if (!rc)
			rc = buf_appends(out, "\">");
		if (!rc)
			rc = append_html_escaped(out, s + i, k);
		if (!rc)
			rc = buf_appends(out, "</a>");
		i += k;
		from = i;
	}
	if (!rc)
		rc = append_html_escaped(out, s + from, n - from);
	return rc;
}

/* The HTML part: paragraphs at blank lines, <br> at single line ends. No style sheet,
 * no image, nothing fetched from anywhere. */
static int build_html(struct buf *html, const char *subject, const char *text)
{
	size_t n = strlen(text), i = 0;
	int rc, in_p = 0;

	rc = buf_appends(html, "<!DOCTYPE html>\n<html lang=\"it\">\n<head>\n<meta charset=\"utf-8\">\n"
			       "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	if (!rc)
		rc = append_html_escaped(html, subject, strlen(subject));
	if (!rc)
		rc = buf_appends(html, "</title>\n</head>\n<body>\n");
	while (i < n && !rc) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (text + i)) : n - i;
		size_t trim = len;
		while (trim > 0 && (text[i + trim - 1] == '\r' || text[i + trim - 1] == ' '))
			trim--;
		if (trim == 0) {
			if (in_p)
				rc = buf_appends(html, "</p>\n");
			in_p = 0;
		} else {
			rc = buf_appends(html, in_p ? "<br>\n" : "<p>");
			in_p = 1;
			if (!rc)
				rc = append_html_line(html, text + i, trim);
		}
		i += len + (nl ? 1 : 0);
	}
	if (!rc && in_p)
		rc = buf_appends(html, "</p>\n");
	if (!rc)
		rc = buf_appends(html, "</body>\n</html>\n");
	return rc;
}

static int valid_unsubscribe_url(const char *u)
{
	return !strncmp(u, "https://", 8) || !strncmp(u, "http://127.", 11) ||
	       !strncmp(u, "http://localhost", 16);
}

static int url_safe(const char *u)
{
	for (; *u; u++)
		if ((unsigned char)*u <= ' ' || (unsigned char)*u >= 0x7f || *u == '>' || *u == '<' ||
		    *u == '"')
			return 0;
	return 1;
}

static int is_canonical(const char *addr)
{
	char c[EMAIL_ADDR_MAX + 1];

	return addr && email_addr_canonical(addr, c, sizeof(c)) == 0 && !strcmp(c, addr);
}

int email_compose(const struct email_compose *c, struct buf *out)
{
	struct buf text, html;
	uint8_t rnd[16];
	char hex[33], date[64], subject[EMAIL_SUBJECT_MAX + 1];
	const char *domain;
	size_t text_len;
	time_t t;
	struct tm tm;
	int rc;

	if (!c || !out || !c->subject || !c->text || !is_canonical(c->from_address) ||
	    !is_canonical(c->to))
		return BANDITORE_EINVAL;
	text_len = strlen(c->text);
	if (text_len > EMAIL_TEXT_MAX)
		return BANDITORE_ETOOBIG;
	if (!valid_utf8(c->text, text_len))
		return BANDITORE_EINVAL;
	if (c->unsubscribe_url && (!valid_unsubscribe_url(c->unsubscribe_url) ||
				   !url_safe(c->unsubscribe_url) ||
				   strlen(c->unsubscribe_url) >= EMAIL_URL_MAX))
		return BANDITORE_EINVAL;
	if (c->message_id && (c->message_id[0] != '<' || !url_safe(c->message_id) ||
			      strlen(c->message_id) > 250))
		return BANDITORE_EINVAL;
	rc = one_line(c->subject, subject, sizeof(subject));
	if (rc)
		return rc;
	domain = email_addr_domain(c->from_address);
	t = (time_t)c->date;
	if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm))
		return BANDITORE_EINVAL;
	rc = crypto_random(rnd, sizeof(rnd));
	if (rc)
		return rc;
	crypto_hex(rnd, sizeof(rnd), hex);

	buf_init(&text, EMAIL_MESSAGE_MAX);
	buf_init(&html, EMAIL_MESSAGE_MAX);
	/* The plain text, then the footer with the unsubscribe link. */
	rc = buf_append(&text, c->text, text_len);
	if (!rc && c->unsubscribe_url)
		rc = buf_appendf(&text, "%s\n\n--\n%s\n%s\n%s\n",
				 text_len && c->text[text_len - 1] != '\n' ? "\n" : "", footer_it,
				 footer_en, c->unsubscribe_url);
	if (!rc)
		rc = build_html(&html, subject, buf_cstr(&text));
	if (rc)
		goto fail;

	rc = append_from(out, c->from_name, c->from_address);
	if (!rc)
		rc = buf_appendf(out, "To: <%s>\r\n", c->to);
	if (!rc)
		rc = append_subject(out, subject);
	if (!rc)
		rc = buf_appendf(out, "Date: %s\r\n", date);
	if (!rc && c->message_id)
		rc = buf_appendf(out, "Message-ID: %s\r\n", c->message_id);
	else if (!rc)
		rc = buf_appendf(out, "Message-ID: <%s.%lld@%s>\r\n", hex, (long long)c->date, domain);
	/* RFC 3834: no vacation auto-replies to a notice nobody reads replies to. */
	if (!rc)
		rc = buf_appends(out, "Auto-Submitted: auto-generated\r\n");
	if (!rc && c->unsubscribe_url)
		rc = buf_appendf(out, "List-Unsubscribe: <%s>\r\n"
				      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
				 c->unsubscribe_url);
	if (!rc)
		rc = buf_appendf(out, "MIME-Version: 1.0\r\n"
				      "Content-Type: multipart/alternative; boundary=\"=_b%s\"\r\n"
				      "\r\n"
				      "--=_b%s\r\n"
				      "Content-Type: text/plain; charset=utf-8\r\n"
				      "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
				 hex, hex);
	if (!rc)
		rc = append_qp(out, text.data ? text.data : "", text.len);
	if (!rc)
		rc = buf_appendf(out, "--=_b%s\r\n"
				      "Content-Type: text/html; charset=utf-8\r\n"
				      "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
				 hex);
	if (!rc)
		rc = append_qp(out, html.data ? html.data : "", html.len);
	if (!rc)
		rc = buf_appendf(out, "--=_b%s--\r\n", hex);
fail:
	buf_free(&text);
	buf_free(&html);
	return rc;
}

/* --- tokens and links --- */

#define TOKEN_TAG_LEN 16
#define TOKEN_RAW_LEN (CRYPTO_HASH_LEN + TOKEN_TAG_LEN) /* 48 bytes: 64 base64url chars */

static int token_tag(const uint8_t key[CRYPTO_KEY_LEN], const uint8_t hash[CRYPTO_HASH_LEN],
		     uint8_t tag[CRYPTO_HASH_LEN])
{
	uint8_t msg[16 + CRYPTO_HASH_LEN];

	memcpy(msg, "email-unsub v1\0\0", 16);
	memcpy(msg + 16, hash, CRYPTO_HASH_LEN);
	return crypto_hmac_sha256(key, CRYPTO_KEY_LEN, msg, sizeof(msg), tag);
}

int email_unsub_token(const uint8_t email_key[CRYPTO_KEY_LEN],
		      const uint8_t addr_hash[CRYPTO_HASH_LEN], char out[EMAIL_TOKEN_LEN + 1])
{
	uint8_t raw[TOKEN_RAW_LEN], tag[CRYPTO_HASH_LEN];
	unsigned char enc[EMAIL_TOKEN_LEN + 4];
	int rc = token_tag(email_key, addr_hash, tag);

	if (rc)
		return rc;
	memcpy(raw, addr_hash, CRYPTO_HASH_LEN);
	memcpy(raw + CRYPTO_HASH_LEN, tag, TOKEN_TAG_LEN);
	if (EVP_EncodeBlock(enc, raw, TOKEN_RAW_LEN) != EMAIL_TOKEN_LEN)
		return BANDITORE_ECRYPTO;
	for (int i = 0; i < EMAIL_TOKEN_LEN; i++)
		out[i] = enc[i] == '+' ? '-' : enc[i] == '/' ? '_' : (char)enc[i];
	out[EMAIL_TOKEN_LEN] = '\0';
	return 0;
}

int email_unsub_token_check(const uint8_t email_key[CRYPTO_KEY_LEN], const char *token,
			    uint8_t addr_hash[CRYPTO_HASH_LEN])
{
	unsigned char std[EMAIL_TOKEN_LEN + 1], raw[TOKEN_RAW_LEN + 4];
	uint8_t tag[CRYPTO_HASH_LEN];
	int rc;

	if (!token || strnlen(token, EMAIL_TOKEN_LEN + 1) != EMAIL_TOKEN_LEN)
		return BANDITORE_EINVAL;
	for (int i = 0; i < EMAIL_TOKEN_LEN; i++) {
		char ch = token[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return BANDITORE_EINVAL;
		std[i] = ch == '-' ? '+' : ch == '_' ? '/' : (unsigned char)ch;
	}
	std[EMAIL_TOKEN_LEN] = '\0';
	if (EVP_DecodeBlock(raw, std, EMAIL_TOKEN_LEN) != TOKEN_RAW_LEN)
		return BANDITORE_EINVAL;
	rc = token_tag(email_key, raw, tag);
	if (rc)
		return rc;
	if (!crypto_equal(tag, raw + CRYPTO_HASH_LEN, TOKEN_TAG_LEN))
		return BANDITORE_EAUTH;
	memcpy(addr_hash, raw, CRYPTO_HASH_LEN);
	return 0;
}

int email_link(const char *public_url, const char *path, const char *token, char *out,
	       size_t cap)
{
	size_t n;
	int k;

	if (!public_url || !path || !token || !valid_unsubscribe_url(public_url) ||
	    !url_safe(public_url) || !url_safe(token) || path[0] != '/')
		return BANDITORE_EINVAL;
	n = strlen(public_url);
	while (n > 0 && public_url[n - 1] == '/')
		n--;
	k = snprintf(out, cap, "%.*s%s?t=%s", (int)n, public_url, path, token);
	if (k < 0 || (size_t)k >= cap)
		return BANDITORE_ETOOBIG;
	return 0;
}
