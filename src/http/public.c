/*
 * public.c - the public face's door: routes, the cache of rendered answers, conditional
 * GET, gzip, and the static assets read once at start.
 *
 * An answer is kept as two libmicrohttpd responses (200 with the body, 304 without),
 * reference-counted by libmicrohttpd, so serving a cached page is one lookup and one
 * MHD_queue_response under a read lock. The cache is direct-mapped on a hash of the
 * request's key (path, the arguments that matter, language, gzip or not): a collision
 * just replaces the older entry.
 */
#include "http/public.h"

#include "common/crypto.h"
#include "common/err.h"
#include "web/assets.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define CACHE_SLOTS 512
#define KEY_MAX 512
#define STATIC_MAX 96
#define STATIC_FILE_MAX (4 * 1024 * 1024)
#define PAGE_MAX (4 * 1024 * 1024)
#define SEARCH_MAX 200

struct entry {
	char key[KEY_MAX];
	struct MHD_Response *full, *not_modified;
	char etag[48];
	uint8_t digest[CRYPTO_HASH_LEN]; /* of the uncompressed body: same body, same ETag */
	int64_t made_ms;
	int64_t modified;
	int status;
};

struct asset {
	char path[160];                  /* below /static/VERSION/ */
	struct MHD_Response *plain, *gz, *not_modified;
	char etag[48];
};

struct public_site {
	const struct config *cfg;
	struct tpl_set *tpl;
	struct read_pool *pool;
	int64_t started;                 /* Unix seconds: Last-Modified of data-less pages */
	char static_prefix[48];          /* "/static/0123abcd" */
	struct asset assets[STATIC_MAX];
	int n_assets;
	pthread_rwlock_t lock;
	struct entry cache[CACHE_SLOTS];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void http_date(int64_t t, char *out, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static int gzip(const char *data, size_t len, struct buf *out)
{
	z_stream z;
	size_t cap = compressBound((uLong)len) + 32;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return BANDITORE_ENOMEM;
	buf_init(out, cap + 1);
	if (buf_append(out, "", 0) || (out->cap < cap && (out->data = realloc(out->data, cap)) == NULL)) {
		deflateEnd(&z);
		return BANDITORE_ENOMEM;
	}
	out->cap = cap;
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : BANDITORE_EIO;
}

/* --- static assets --- */

static const char *mime_of(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".woff2", "font/woff2" },
		{ ".woff", "font/woff" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static int read_file(const char *path, struct buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return BANDITORE_ENOTFOUND;
	buf_init(out, STATIC_FILE_MAX);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(out, chunk, (size_t)n)) {
			close(fd);
			buf_free(out);
			return BANDITORE_ETOOBIG;
		}
	close(fd);
	return n < 0 ? BANDITORE_EIO : 0;
}

static struct MHD_Response *make_response(const char *data, size_t len, const char *type,
					  const char *etag, const char *cache_control,
					  const char *last_modified, const char *encoding)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return NULL;
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
	if (last_modified)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, last_modified);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding, Accept-Language");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (encoding)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
	return r;
}

static int compressible(const char *type)
{
	return !strncmp(type, "text/", 5) || strstr(type, "xml") || strstr(type, "json") ||
	       strstr(type, "svg");
}

static int add_asset(struct public_site *site, const char *file, const char *path)
{
	static const char *cc = "public, max-age=31536000, immutable";
	struct asset *a;
	struct buf data, z;
	uint8_t d[CRYPTO_HASH_LEN];
	char hex[17];
	const char *type = mime_of(path);
	int rc;

	if (site->n_assets == STATIC_MAX)
		return BANDITORE_ETOOBIG;
	if ((rc = read_file(file, &data)))
		return rc;
	a = &site->assets[site->n_assets];
	memset(a, 0, sizeof(*a));
	snprintf(a->path, sizeof(a->path), "%s", path);
	crypto_sha256(data.data ? data.data : "", data.len, d);
	crypto_hex(d, 8, hex);
	snprintf(a->etag, sizeof(a->etag), "\"%.16s\"", hex);
	a->plain = make_response(buf_cstr(&data), data.len, type, a->etag, cc, NULL, NULL);
	a->not_modified = make_response("", 0, NULL, a->etag, cc, NULL, NULL);
	if (compressible(type) && gzip(buf_cstr(&data), data.len, &z) == 0) {
		char etag[48];
		snprintf(etag, sizeof(etag), "\"%.16s-gz\"", hex);
		a->gz = make_response(z.data, z.len, type, etag, cc, NULL, "gzip");
		buf_free(&z);
	}
	buf_free(&data);
	if (!a->plain || !a->not_modified)
		return BANDITORE_ENOMEM;
	site->n_assets++;
	return 0;
}

/* Every file of `dir` whose name ends in `suffix`, as `prefix`/name. */
static void add_dir(struct public_site *site, const char *dir, const char *prefix,
		    const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name), s = strlen(suffix);
		char file[1024], path[160];
		if (n <= s || strcmp(e->d_name + n - s, suffix))
			continue;
		if (snprintf(file, sizeof(file), "%s/%s", dir, e->d_name) >= (int)sizeof(file) ||
		    snprintf(path, sizeof(path), "%s/%s", prefix, e->d_name) >= (int)sizeof(path))
			continue;
		(void)add_asset(site, file, path);
	}
	closedir(d);
}

static const char *web_dir(void)
{
	const char *const candidates[] = { web_source_dir, BANDITORE_DATADIR "/web" };
	const char *env = getenv("BANDITORE_WEB_DIR");
	struct stat st;

	if (env && *env)
		return env;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		char probe[512];
		snprintf(probe, sizeof(probe), "%s/static/banditore.css", candidates[i]);
		if (stat(probe, &st) == 0)
			return candidates[i];
	}
	return NULL;
}

static int load_assets(struct public_site *site)
{
	const char *web = web_dir();
	char p[1024], q[512];
	uint8_t all[CRYPTO_HASH_LEN];
	struct buf etags;
	char hex[17];
	static const char *const fonts[] = { "Titillium_Web", "Lora", "Roboto_Mono" };

	if (!web)
		return 0;
	snprintf(p, sizeof(p), "%s/static/banditore.css", web);
	(void)add_asset(site, p, "banditore.css");
	/* the staff console's own style and script (src/http/console*.c) */
	snprintf(p, sizeof(p), "%s/static/console.css", web);
	(void)add_asset(site, p, "console.css");
	snprintf(p, sizeof(p), "%s/static/console.js", web);
	(void)add_asset(site, p, "console.js");
	if (snprintf(q, sizeof(q), "%s/node_modules/bootstrap-italia/dist", web) >= (int)sizeof(q))
		return 0;
	snprintf(p, sizeof(p), "%s/css/bootstrap-italia.min.css", q);
	(void)add_asset(site, p, "bi/css/bootstrap-italia.min.css");
	snprintf(p, sizeof(p), "%s/js/bootstrap-italia.bundle.min.js", q);
	(void)add_asset(site, p, "bi/js/bootstrap-italia.bundle.min.js");
	snprintf(p, sizeof(p), "%s/svg/sprites.svg", q);
	(void)add_asset(site, p, "bi/svg/sprites.svg");
	for (size_t i = 0; i < sizeof(fonts) / sizeof(fonts[0]); i++) {
		char prefix[64];
		snprintf(p, sizeof(p), "%s/fonts/%s", q, fonts[i]);
		snprintf(prefix, sizeof(prefix), "bi/fonts/%s", fonts[i]);
		add_dir(site, p, prefix, ".woff2");
	}
	/* The version in every asset URL: a digest of all of them, so that "immutable" holds. */
	buf_init(&etags, 65536);
	for (int i = 0; i < site->n_assets; i++)
		(void)buf_appends(&etags, site->assets[i].etag);
	crypto_sha256(buf_cstr(&etags), etags.len, all);
	buf_free(&etags);
	crypto_hex(all, 8, hex);
	snprintf(site->static_prefix, sizeof(site->static_prefix), "/static/%.16s", hex);
	return site->n_assets;
}

/* --- the site --- */

int public_site_new(const struct config *cfg, const char *store_url, struct public_site **out,
		    int *assets)
{
	struct public_site *site;
	char err[160];
	int rc = BANDITORE_ENOMEM;

	*out = NULL;
	site = calloc(1, sizeof(*site));
	if (!site)
		return BANDITORE_ENOMEM;
	site->cfg = cfg;
	site->started = (int64_t)time(NULL);
	snprintf(site->static_prefix, sizeof(site->static_prefix), "/static/none");
	pthread_rwlock_init(&site->lock, NULL);
	if ((rc = tpl_set_new(&site->tpl)))
		goto fail;
	for (const struct web_file *f = web_files; f->name; f++) {
		const char *base = strrchr(f->name, '/');
		char name[TPL_NAME_MAX];
		base = base ? base + 1 : f->name;
		if (!strncmp(f->name, "templates/", 10)) {
			snprintf(name, sizeof(name), "%.*s", (int)(strcspn(base, ".")), base);
			rc = tpl_set_add(site->tpl, name, f->data, f->len, err, sizeof(err));
		} else if (!strncmp(f->name, "i18n/", 5)) {
			snprintf(name, sizeof(name), "%.*s", (int)(strcspn(base, ".")), base);
			rc = tpl_set_add_catalog(site->tpl, name, f->data, f->len, err, sizeof(err));
		}
		if (rc)
			goto fail;
	}
	if (store_url && (rc = read_pool_new(store_url, 4, &site->pool)))
		goto fail;
	*assets = load_assets(site);
	*out = site;
	return 0;
fail:
	public_site_free(site);
	return rc;
}

void public_site_free(struct public_site *site)
{
	if (!site)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (site->cache[i].full)
			MHD_destroy_response(site->cache[i].full);
		if (site->cache[i].not_modified)
			MHD_destroy_response(site->cache[i].not_modified);
	}
	for (int i = 0; i < site->n_assets; i++) {
		MHD_destroy_response(site->assets[i].plain);
		if (site->assets[i].gz)
			MHD_destroy_response(site->assets[i].gz);
		MHD_destroy_response(site->assets[i].not_modified);
	}
	read_pool_free(site->pool);
	tpl_set_free(site->tpl);
	pthread_rwlock_destroy(&site->lock);
	free(site);
}

const struct tpl_set *public_templates(const struct public_site *site)
{
	return site->tpl;
}

const char *public_static_prefix(const struct public_site *site)
{
	return site->static_prefix;
}

struct store *public_store_get(struct public_site *site)
{
	struct store *st = NULL;
	if (!site->pool || read_pool_get(site->pool, &st) != 0)
		return NULL;
	return st;
}

void public_store_put(struct public_site *site, struct store *st, int broken)
{
	if (st)
		read_pool_put(site->pool, st, broken);
}

/* --- conditional requests --- */

static int etag_matches(const char *header, const char *etag)
{
	const char *p = header;
	size_t n = strlen(etag);

	if (!header)
		return 0;
	if (!strcmp(header, "*"))
		return 1;
	while ((p = strstr(p, etag)) != NULL) {
		if (p[n] == '\0' || p[n] == ',' || p[n] == ' ')
			return 1;
		p += n;
	}
	/* A weak comparison: W/"x" matches "x" (RFC 9110 13.1.2). */
	return 0;
}

static int not_modified(struct MHD_Connection *conn, const char *etag, int64_t modified)
{
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims;
	struct tm tm;

	if (inm)
		return etag_matches(inm, etag);
	ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if (!ims || modified <= 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (!strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		return 0;
	return (int64_t)timegm(&tm) >= modified;
}

static int accepts_gzip(struct MHD_Connection *conn)
{
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *g = ae ? strstr(ae, "gzip") : NULL, *q;

	if (!g)
		return 0;
	/* "gzip;q=0" refuses it */
	g += 4;
	while (*g == ' ')
		g++;
	if (*g != ';')
		return 1;
	q = strstr(g, "q=");
	return !q || (strchr(g, ',') && strchr(g, ',') < q) || strtod(q + 2, NULL) > 0.0;
}

/* 1 and *ret when `path` is an asset, else 0. */
static int serve_asset(struct public_site *site, struct MHD_Connection *conn, const char *path,
		       enum MHD_Result *ret)
{
	for (int i = 0; i < site->n_assets; i++) {
		struct asset *a = &site->assets[i];
		const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_IF_NONE_MATCH);
		char etag_gz[48];

		if (strcmp(a->path, path))
			continue;
		snprintf(etag_gz, sizeof(etag_gz), "%.*s-gz\"", (int)strlen(a->etag) - 1, a->etag);
		if (inm && (etag_matches(inm, a->etag) || etag_matches(inm, etag_gz)))
			*ret = MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, a->not_modified);
		else if (a->gz && accepts_gzip(conn))
			*ret = MHD_queue_response(conn, MHD_HTTP_OK, a->gz);
		else
			*ret = MHD_queue_response(conn, MHD_HTTP_OK, a->plain);
		return 1;
	}
	return 0;
}

/* --- rendering through the cache --- */

typedef int (*renderer)(const struct public_req *r, struct public_body *out);

/* Makes and caches the answer of `slot`; called with the write lock held. */
static int fill(struct public_site *site, struct entry *e, const char *key, renderer fn,
		const struct public_req *r, int gz)
{
	struct public_body b;
	uint8_t d[CRYPTO_HASH_LEN];
	char hex[33], lm[64], cc[64];
	struct buf z;
	int rc;

	memset(&b, 0, sizeof(b));
	buf_init(&b.body, PAGE_MAX);
	b.status = 200;
	b.max_age = 60;
	rc = fn(r, &b);
	if (rc == BANDITORE_ENOTFOUND)
		rc = public_page_error(r, 404, &b);
	if (rc) {
		buf_free(&b.body);
		return rc;
	}
	crypto_sha256(buf_cstr(&b.body), b.body.len, d);
	if (e->full && !strcmp(e->key, key) && !memcmp(d, e->digest, sizeof(d)) &&
	    e->status == b.status) {
		e->made_ms = now_ms(); /* same body: keep its ETag and Last-Modified */
		buf_free(&b.body);
		return 0;
	}
	crypto_hex(d, 12, hex);
	if (e->full)
		MHD_destroy_response(e->full);
	if (e->not_modified)
		MHD_destroy_response(e->not_modified);
	e->full = e->not_modified = NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	memcpy(e->digest, d, sizeof(d));
	e->status = b.status;
	snprintf(e->etag, sizeof(e->etag), gz ? "\"%s-gz\"" : "\"%s\"", hex);
	e->modified = b.modified > 0 ? b.modified : site->started;
	http_date(e->modified, lm, sizeof(lm));
	snprintf(cc, sizeof(cc), "public, max-age=%d", b.max_age);
	if (gz && gzip(buf_cstr(&b.body), b.body.len, &z) == 0) {
		e->full = make_response(z.data, z.len, b.type, e->etag, cc, lm, "gzip");
		buf_free(&z);
	} else {
		e->full = make_response(buf_cstr(&b.body), b.body.len, b.type, e->etag, cc, lm, NULL);
	}
	e->not_modified = make_response("", 0, NULL, e->etag, cc, lm, NULL);
	e->made_ms = now_ms();
	buf_free(&b.body);
	if (!e->full || !e->not_modified) {
		e->key[0] = '\0';
		return BANDITORE_ENOMEM;
	}
	return 0;
}

static enum MHD_Result serve_cached(struct public_site *site, struct MHD_Connection *conn,
				    const char *key_base, renderer fn, const struct public_req *r)
{
	char key[KEY_MAX];
	int gz = accepts_gzip(conn), rc;
	struct entry *e;
	enum MHD_Result ret;

	if (snprintf(key, sizeof(key), "%s|%s|%d", key_base, r->lang, gz) >= (int)sizeof(key))
		return MHD_NO; /* cannot happen: key_base is bounded below KEY_MAX - 16 */
	e = &site->cache[fnv(key) % CACHE_SLOTS];
	pthread_rwlock_rdlock(&site->lock);
	if (e->full && !strcmp(e->key, key) && now_ms() - e->made_ms < PUBLIC_FRESH_MS) {
		ret = e->status == 200 && not_modified(conn, e->etag, e->modified)
			? MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, e->not_modified)
			: MHD_queue_response(conn, (unsigned)e->status, e->full);
		pthread_rwlock_unlock(&site->lock);
		return ret;
	}
	pthread_rwlock_unlock(&site->lock);

	pthread_rwlock_wrlock(&site->lock);
	if (!(e->full && !strcmp(e->key, key) && now_ms() - e->made_ms < PUBLIC_FRESH_MS)) {
		rc = fill(site, e, key, fn, r, gz);
		if (rc) {
			pthread_rwlock_unlock(&site->lock);
			return MHD_NO;
		}
	}
	ret = e->status == 200 && not_modified(conn, e->etag, e->modified)
		? MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, e->not_modified)
		: MHD_queue_response(conn, (unsigned)e->status, e->full);
	pthread_rwlock_unlock(&site->lock);
	return ret;
}

/* --- routes --- */

static int r_channel(const struct public_req *r, struct public_body *o) { return public_page_channel(r, o); }
static int r_poster(const struct public_req *r, struct public_body *o) { return public_page_poster(r, o); }
static int r_policy(const struct public_req *r, struct public_body *o) { return public_page_policy(r, o); }
static int r_notice(const struct public_req *r, struct public_body *o) { return public_page_notice(r, o); }
static int r_archive(const struct public_req *r, struct public_body *o) { return public_page_archive(r, o); }
static int r_message(const struct public_req *r, struct public_body *o) { return public_page_message(r, o); }
static int r_atom(const struct public_req *r, struct public_body *o) { return public_feed(r, "atom", o); }
static int r_rss(const struct public_req *r, struct public_body *o) { return public_feed(r, "rss", o); }
static int r_json(const struct public_req *r, struct public_body *o) { return public_feed(r, "json", o); }
static int r_cap(const struct public_req *r, struct public_body *o) { return public_cap(r, o); }
static int r_qr_wa(const struct public_req *r, struct public_body *o) { return public_qr(r, "whatsapp", o); }
static int r_qr_channel(const struct public_req *r, struct public_body *o) { return public_qr(r, "canale", o); }
static int r_qr_telegram(const struct public_req *r, struct public_body *o) { return public_qr(r, "telegram", o); }
static int r_404(const struct public_req *r, struct public_body *o)
{
	int rc = public_page_error(r, 404, o);
	o->status = 404;
	return rc;
}

static int valid_id(const char *s, size_t len)
{
	if (len == 0 || len >= 64)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int public_handle(struct public_site *site, struct MHD_Connection *conn, const char *method,
		  const char *url, enum MHD_Result *ret)
{
	struct public_req r;
	const char *cat, *q, *page, *lang;
	char key[KEY_MAX], id[64], catbuf[64];
	renderer fn = NULL;
	size_t n;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return 0;
	if (!strncmp(url, "/static/", 8)) {
		size_t plen = strlen(site->static_prefix);
		const char *slash = strchr(url + 8, '/');
		/* An older version's URL gets the current file: the page that asked is old. */
		if (!strncmp(url, site->static_prefix, plen) && url[plen] == '/')
			return serve_asset(site, conn, url + plen + 1, ret);
		return slash ? serve_asset(site, conn, slash + 1, ret) : 0;
	}
	memset(&r, 0, sizeof(r));
	r.site = site;
	r.cfg = site->cfg;
	lang = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lang");
	r.lang = tpl_pick_lang(lang, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								 MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
	cat = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "categoria");
	q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "q");
	page = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "pagina");
	r.category = cat && *cat && valid_id(cat, strlen(cat)) ? cat : NULL;
	r.search = q && *q && strlen(q) <= SEARCH_MAX ? q : NULL;
	r.page = page ? (int)strtol(page, NULL, 10) : 1;
	if (r.page < 1 || r.page > 10000)
		r.page = 1;

	if (!strcmp(url, "/") || !strcmp(url, "/canale"))
		fn = r_channel;
	else if (!strcmp(url, "/poster"))
		fn = r_poster;
	else if (!strcmp(url, "/policy"))
		fn = r_policy;
	else if (!strcmp(url, "/informativa"))
		fn = r_notice;
	else if (!strcmp(url, "/archivio"))
		fn = r_archive;
	else if (!strcmp(url, "/feed.atom"))
		fn = r_atom;
	else if (!strcmp(url, "/feed.rss"))
		fn = r_rss;
	else if (!strcmp(url, "/feed.json"))
		fn = r_json;
	else if (!strcmp(url, "/cap.xml"))
		fn = r_cap;
	else if (!strcmp(url, "/qr/whatsapp.svg"))
		fn = r_qr_wa;
	else if (!strcmp(url, "/qr/canale.svg"))
		fn = r_qr_channel;
	else if (!strcmp(url, "/qr/telegram.svg"))
		fn = r_qr_telegram;
	else if (!strncmp(url, "/archivio/", 10) && (n = strspn(url + 10, "0123456789")) > 0 &&
		 n < 19 && url[10 + n] == '\0') {
		snprintf(id, sizeof(id), "%s", url + 10);
		r.path = id;
		fn = r_message;
	} else if (!strncmp(url, "/cap/", 5) && (n = strspn(url + 5, "0123456789")) > 0 &&
		   n < 19 && !strcmp(url + 5 + n, ".xml")) {
		snprintf(id, sizeof(id), "%.*s", (int)n, url + 5);
		r.path = id;
		fn = r_cap;
	} else if (!strncmp(url, "/categoria/", 11)) {
		const char *dot = strrchr(url + 11, '.');
		if (dot && valid_id(url + 11, (size_t)(dot - url - 11))) {
			snprintf(catbuf, sizeof(catbuf), "%.*s", (int)(dot - url - 11), url + 11);
			r.category = catbuf;
			fn = !strcmp(dot, ".atom") ? r_atom : !strcmp(dot, ".rss") ? r_rss
				: !strcmp(dot, ".json") ? r_json : NULL;
		}
	}
	if (!fn) {
		if (strncmp(url, "/archivio", 9) && strncmp(url, "/categoria/", 11) &&
		    strncmp(url, "/cap/", 5))
			return 0; /* not ours: the server's own 404 */
		fn = r_404;
	}
	snprintf(key, sizeof(key), "%s?c=%s&q=%s&p=%d", url, r.category ? r.category : "",
		 r.search ? r.search : "", r.page);
	*ret = serve_cached(site, conn, key, fn, &r);
	return 1;
}
