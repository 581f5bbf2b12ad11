/* test_web.c - unit tests of src/web: the template engine (escaping, blocks, missing
 * values, translations, syntax errors) and the QR code's SVG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "web/qr.h"
#include "web/template.h"

static struct tpl_set *set_with(const char *name, const char *text)
{
	struct tpl_set *set;
	char err[128];

	assert_int_equal(tpl_set_new(&set), 0);
	assert_int_equal(tpl_set_add(set, name, text, strlen(text), err, sizeof(err)), 0);
	return set;
}

/* Renders `text` with the JSON `data` in `lang` and compares with `want`. */
static void renders(const char *text, const char *data, const char *lang, const char *want)
{
	struct tpl_set *set = set_with("t", text);
	json_t *j = json_loads(data, 0, NULL);
	struct buf b;

	assert_non_null(j);
	buf_init(&b, 1 << 16);
	assert_int_equal(tpl_render(set, "t", j, lang, &b), 0);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
	json_decref(j);
	tpl_set_free(set);
}

static void test_escaping(void **state)
{
	(void)state;
	renders("<p>{{x}}</p>", "{\"x\": \"<script>alert('x') & \\\"y\\\"</script>\"}", "it",
		"<p>&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;</p>");
	renders("<a title=\"{{x}}\">", "{\"x\": \"\\\" onmouseover=\\\"evil()\"}", "it",
		"<a title=\"&quot; onmouseover=&quot;evil()\">");
	/* raw only where asked */
	renders("{{{svg}}}", "{\"svg\": \"<svg/>\"}", "it", "<svg/>");
	/* numbers, booleans */
	renders("{{n}} {{r}} {{b}} {{f}}", "{\"n\": 42, \"r\": 1.5, \"b\": true, \"f\": false}", "it",
		"42 1.5 true ");
}

static void test_url_filters(void **state)
{
	(void)state;
	renders("<a href=\"{{u|url}}\">", "{\"u\": \"javascript:alert(1)\"}", "it", "<a href=\"#\">");
	renders("<a href=\"{{u|url}}\">", "{\"u\": \" data:text/html,x\"}", "it", "<a href=\"#\">");
	renders("<a href=\"{{u|url}}\">", "{\"u\": \"https://example.org/?a=1&b=2\"}", "it",
		"<a href=\"https://example.org/?a=1&amp;b=2\">");
	renders("{{u|url}} {{m|url}}", "{\"u\": \"/archivio?p=2\", \"m\": \"mailto:x@example.org\"}", "it",
		"/archivio?p=2 mailto:x@example.org");
	renders("?q={{q|uri}}", "{\"q\": \"a b&c/è\"}", "it", "?q=a%20b%26c%2F%C3%A8");
}

static void test_missing_values(void **state)
{
	(void)state;
	renders("[{{nope}}][{{a.b.c}}][{{{raw}}}]", "{\"a\": {\"b\": 1}}", "it", "[][][]");
	renders("{{#if nope}}yes{{else}}no{{/if}}", "{}", "it", "no");
	renders("{{#each nope}}x{{else}}empty{{/each}}", "{}", "it", "empty");
	renders("{{#with nope}}x{{/with}}.", "{}", "it", ".");
	renders("{{#unless nope}}shown{{/unless}}", "{}", "it", "shown");
}

static void test_blocks_and_loops(void **state)
{
	(void)state;
	renders("{{#each items}}<li>{{@number}}. {{name}} ({{title}})</li>{{/each}}",
		"{\"title\": \"T\", \"items\": [{\"name\": \"a<\"}, {\"name\": \"b\", \"title\": \"own\"}]}",
		"it", "<li>1. a&lt; (T)</li><li>2. b (own)</li>");
	renders("{{#each xs}}{{.}},{{/each}}", "{\"xs\": [1, \"two\", 3]}", "it", "1,two,3,");
	renders("{{#each xs}}{{@index}}{{#if ok}}+{{else}}-{{/if}}{{/each}}",
		"{\"xs\": [{\"ok\": true}, {\"ok\": 0}, {\"ok\": \"\"}, {\"ok\": [1]}]}", "it", "0+1-2-3+");
	renders("{{#with c}}{{name}}/{{top}}{{/with}}", "{\"top\": \"T\", \"c\": {\"name\": \"N\"}}", "it",
		"N/T");
	renders("{{#if e}}{{#each e}}[{{#if x}}{{x}}{{/if}}]{{/each}}{{/if}}",
		"{\"e\": [{\"x\": 1}, {}]}", "it", "[1][]");
	renders("{{! a comment }}ok", "{}", "it", "ok");
}

static void test_languages(void **state)
{
	struct tpl_set *set = set_with("t", "{{_ Come   iscriversi}}|{{label}}|{{_ Non tradotto}}");
	const char *po = "# catalog\nmsgid \"\"\nmsgstr \"Content-Type: text/plain\"\n\n"
			 "msgid \"Come iscriversi\"\nmsgstr \"How to \"\n\"join\"\n\n"
			 "msgid \"Esci\"\nmsgstr \"Leave & go\"\n";
	json_t *j = json_pack("{s:{s:s,s:s}}", "label", "it", "Viabilità", "en", "Traffic");
	struct buf b;

	(void)state;
	assert_int_equal(tpl_set_add_catalog(set, "en", po, strlen(po), NULL, 0), 0);
	buf_init(&b, 4096);
	assert_int_equal(tpl_render(set, "t", j, "it", &b), 0);
	assert_string_equal(buf_cstr(&b), "Come iscriversi|Viabilità|Non tradotto");
	buf_reset(&b);
	assert_int_equal(tpl_render(set, "t", j, "en", &b), 0);
	assert_string_equal(buf_cstr(&b), "How to join|Traffic|Non tradotto");
	assert_string_equal(tpl_translate(set, "en", "Esci"), "Leave & go");
	assert_string_equal(tpl_translate(set, "it", "Esci"), "Esci");
	/* an English label missing: Italian */
	json_object_set_new(json_object_get(j, "label"), "en", json_string(""));
	buf_reset(&b);
	assert_int_equal(tpl_render(set, "t", j, "en", &b), 0);
	assert_string_equal(buf_cstr(&b), "How to join|Viabilità|Non tradotto");
	buf_free(&b);
	json_decref(j);
	tpl_set_free(set);

	assert_string_equal(tpl_pick_lang("en", "it"), "en");
	assert_string_equal(tpl_pick_lang(NULL, NULL), "it");
	assert_string_equal(tpl_pick_lang(NULL, "en-GB,en;q=0.9"), "en");
	assert_string_equal(tpl_pick_lang(NULL, "de-DE, en;q=0.5, it;q=0.8"), "it");
	assert_string_equal(tpl_pick_lang("xx", "fr"), "it");
}

static void test_includes_and_errors(void **state)
{
	struct tpl_set *set = set_with("page", "<main>{{> part}}</main>");
	const char *part = "<p>{{x}}</p>", *loop = "{{> loop}}";
	static const char *const bad[] = {
		"{{#if x}}open", "{{/if}}", "{{#if x}}{{/each}}", "{{#each}}{{/each}}", "{{x",
		"{{x|upper}}", "{{#frob x}}{{/frob}}", "{{}}", "{{ bad name }}", "{{else}}",
	};
	json_t *j = json_pack("{s:s}", "x", "<b>");
	struct buf b;
	char err[128];

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(tpl_render(set, "page", j, "it", &b), BANDITORE_ENOTFOUND);
	assert_int_equal(tpl_set_add(set, "part", part, strlen(part), NULL, 0), 0);
	buf_reset(&b);
	assert_int_equal(tpl_render(set, "page", j, "it", &b), 0);
	assert_string_equal(buf_cstr(&b), "<main><p>&lt;b&gt;</p></main>");
	assert_int_equal(tpl_set_add(set, "loop", loop, strlen(loop), NULL, 0), 0);
	buf_reset(&b);
	assert_int_equal(tpl_render(set, "loop", j, "it", &b), BANDITORE_EINVAL);
	assert_int_equal(tpl_render(set, "absent", j, "it", &b), BANDITORE_ENOTFOUND);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(tpl_set_add(set, "bad", bad[i], strlen(bad[i]), err, sizeof(err)),
				 BANDITORE_EINVAL);
		assert_non_null(strstr(err, "line 1"));
	}
	assert_false(tpl_set_has(set, "bad"));
	/* the output's bound holds */
	{
		struct buf small;
		buf_init(&small, 8);
		assert_int_equal(tpl_render(set, "page", j, "it", &small), BANDITORE_ETOOBIG);
		buf_free(&small);
	}
	buf_free(&b);
	json_decref(j);
	tpl_set_free(set);
}

/* Reads the SVG's path back into a grid and compares it with libqrencode's modules. */
static void test_qr_svg_matches_modules(void **state)
{
	const char *link = "https://wa.me/393660000000?text=ATTIVA%20ISCRIZIONE";
	QRcode *qr = QRcode_encodeString(link, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	struct buf b;
	const char *p;
	int total, w, dark = 0;
	unsigned char *grid;

	(void)state;
	assert_non_null(qr);
	w = qr->width;
	total = w + 8;
	grid = calloc((size_t)total * (size_t)total, 1);
	buf_init(&b, 1 << 20);
	assert_int_equal(qr_svg(&b, link, "Codice QR <WhatsApp>", "12rem"), 0);
	assert_int_equal(strncmp(buf_cstr(&b), "<svg ", 5), 0);
	assert_non_null(strstr(buf_cstr(&b), "aria-label=\"Codice QR &lt;WhatsApp&gt;\""));
	assert_non_null(strstr(buf_cstr(&b), "role=\"img\""));
	p = strstr(buf_cstr(&b), " d=\"");
	assert_non_null(p);
	for (p += 4; *p == 'M';) {
		int x, y, run, used;
		assert_int_equal(sscanf(p, "M%d %dh%dv1h-%*dz%n", &x, &y, &run, &used), 3);
		for (int i = 0; i < run; i++)
			grid[y * total + x + i] = 1;
		p += used;
	}
	for (int y = 0; y < total; y++)
		for (int x = 0; x < total; x++) {
			int in = x >= 4 && y >= 4 && x < w + 4 && y < w + 4;
			int want = in ? (qr->data[(y - 4) * w + (x - 4)] & 1) : 0; /* quiet zone white */
			assert_int_equal(grid[y * total + x], want);
			dark += want;
		}
	assert_true(dark > 100);
	buf_reset(&b);
	assert_int_equal(qr_svg(&b, "", NULL, NULL), BANDITORE_EINVAL);
	free(grid);
	buf_free(&b);
	QRcode_free(qr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_url_filters),
		cmocka_unit_test(test_missing_values),
		cmocka_unit_test(test_blocks_and_loops),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_includes_and_errors),
		cmocka_unit_test(test_qr_svg_matches_modules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
