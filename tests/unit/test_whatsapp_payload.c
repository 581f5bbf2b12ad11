/*
 * test_whatsapp_payload.c - unit tests of the WhatsApp webhook body reader: each shape
 * Meta sends read by both readers (the one-pass scanner and jansson) with the same
 * events, every body the scanner is not certain of left to jansson with jansson's answer,
 * and malformed bodies refused. The bodies are written with ' for " (see q()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json_scan.h"
#include "inbound/whatsapp_payload.h"
#include "inbound/whatsapp_payload_internal.h"

#define BODY_MAX 8192

/* `s` with every ' turned into ", in out[BODY_MAX]. */
static void q(const char *s, char *out)
{
	size_t n = strlen(s);

	assert_true(n < BODY_MAX);
	for (size_t i = 0; i <= n; i++)
		out[i] = s[i] == '\'' ? '"' : s[i];
}

/* A change's value as Meta nests it ("value" before "field", as Meta writes it). */
#define ENVELOPE(value)                                                                  \
	"{'object':'whatsapp_business_account','entry':[{'id':'100000000000000','changes':" \
	"[{'value':" value ",'field':'messages'}]}]}"
#define VALUE(list)                                                                      \
	ENVELOPE("{'messaging_product':'whatsapp','metadata':{'display_phone_number':"     \
		 "'393660000000','phone_number_id':'100000000000001'}," list "}")
#define CONTACT "'contacts':[{'profile':{'name':'Cittadino'},'wa_id':'393330000101'}],"

static void assert_same(const struct wa_payload *a, const struct wa_payload *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->ignored, b->ignored);
	for (int i = 0; i < a->count; i++) {
		const struct wa_event *x = &a->events[i], *y = &b->events[i];
		assert_int_equal(x->kind, y->kind);
		assert_string_equal(x->from, y->from);
		assert_string_equal(x->id, y->id);
		assert_string_equal(x->type, y->type);
		assert_string_equal(x->text, y->text);
		assert_string_equal(x->reply_id, y->reply_id);
		assert_int_equal(x->timestamp, y->timestamp);
		assert_string_equal(x->biz_opaque, y->biz_opaque);
		assert_int_equal(x->error_code, y->error_code);
	}
}

/* Both readers on `len` bytes: the scanner reads them (want_fast 1) or leaves them (0,
 * then nothing behind); what it reads, jansson reads the same; and wa_payload_parse gives
 * jansson's code and events, into *out. */
static int parse_len(const char *body, size_t len, int want_fast, struct wa_payload *out)
{
	struct wa_payload fast, tree;
	int rc = wa_payload_parse_tree(body, len, &tree);
	int scanned = wa_payload_scan(body, len, &fast);

	assert_int_equal(scanned, want_fast);
	if (scanned) {
		assert_int_equal(rc, 0);
		assert_same(&fast, &tree);
	} else {
		assert_null(fast.events);
		assert_int_equal(fast.count, 0);
		assert_int_equal(fast.ignored, 0);
	}
	wa_payload_free(&fast);
	assert_int_equal(wa_payload_parse(body, len, out), rc);
	if (rc == 0)
		assert_same(out, &tree);
	else
		assert_int_equal(rc, BANDITORE_EINVAL);
	wa_payload_free(&tree);
	return rc;
}

static int parse(const char *quoted, int want_fast, struct wa_payload *out)
{
	char body[BODY_MAX];

	q(quoted, body);
	return parse_len(body, strlen(body), want_fast, out);
}

static void test_text(void **state)
{
	struct wa_payload p;

	(void)state;
	assert_int_equal(parse(VALUE(CONTACT "'messages':[{'from':'393330000101','id':"
					     "'wamid.T1','timestamp':'1750000000','type':'text',"
					     "'text':{'body':'ATTIVA ISCRIZIONE'}}]"),
			       1, &p),
			 0);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.ignored, 0);
	assert_int_equal(p.events[0].kind, WA_EVENT_MESSAGE);
	assert_string_equal(p.events[0].from, "393330000101");
	assert_string_equal(p.events[0].id, "wamid.T1");
	assert_string_equal(p.events[0].type, "text");
	assert_string_equal(p.events[0].text, "ATTIVA ISCRIZIONE");
	assert_string_equal(p.events[0].reply_id, "");
	assert_int_equal(p.events[0].timestamp, 1750000000);
	wa_payload_free(&p);

	/* whitespace anywhere, "field" first, an integer timestamp, text unused by "image" */
	assert_int_equal(parse(" {\n\t'object' : 'whatsapp_business_account' , 'entry' : [ { 'changes'"
			       " : [ { 'field' : 'messages' , 'value' : { 'messages' : [ { 'type' :"
			       " 'text' , 'text' : { 'body' : 'ciao' , 'x' : [ 1 , -2.5 , true ,"
			       " false , null ] } , 'timestamp' : 1750000001 , 'from' : '393330000102'"
			       " , 'id' : 'wamid.T2' } ] } } ] } ] }\r\n",
			       1, &p),
			 0);
	assert_string_equal(p.events[0].text, "ciao");
	assert_int_equal(p.events[0].timestamp, 1750000001);
	wa_payload_free(&p);
}

/* Texts as citizens write them: accents as raw UTF-8 or as \u escapes, emoji as
 * surrogate pairs, one-letter escapes; all decoded as jansson decodes them. */
static void test_text_escapes(void **state)
{
	static const char *const bodies[] = {
		VALUE("'messages':[{'from':'393330000103','id':'wamid.U1','type':'text','text':"
		      "{'body':'citt\xc3\xa0 \xe2\x82\xac \xf0\x9f\x99\x82 \x7f'}}]"),
		VALUE("'messages':[{'from':'393330000103','id':'wamid.U2','type':'text','text':"
		      "{'body':'S\\u00ec, citt\\u00E0 \\ud83d\\ude42 \\u20ac'}}]"),
		VALUE("'messages':[{'from':'393330000103','id':'wamid.U\\/3','type':'text','text':"
		      "{'body':'a\\nb\\tc\\\\d\\'e\\/f\\b\\f\\r'}}]"),
	};
	struct wa_payload p;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(parse(bodies[i], 1, &p), 0);
		assert_int_equal(p.count, 1);
		wa_payload_free(&p);
	}
	parse(bodies[1], 1, &p);
	assert_string_equal(p.events[0].text, "S\xc3\xac, citt\xc3\xa0 \xf0\x9f\x99\x82 \xe2\x82\xac");
	wa_payload_free(&p);
	parse(bodies[2], 1, &p);
	assert_string_equal(p.events[0].id, "wamid.U/3");
	assert_string_equal(p.events[0].text, "a\nb\tc\\d\"e/f\b\f\r");
	wa_payload_free(&p);
}

static void test_button_and_interactive(void **state)
{
	struct wa_payload p;

	(void)state;
	assert_int_equal(
		parse(VALUE(CONTACT "'messages':["
				    "{'context':{'from':'393660000000','id':'wamid.Q'},'from':'393330000101',"
				    "'id':'wamid.B1','timestamp':'1750000002','type':'button','button':"
				    "{'payload':'STOP','text':'Disiscriviti'}},"
				    "{'from':'393330000101','id':'wamid.B2','type':'button','button':{}},"
				    "{'from':'393330000101','id':'wamid.I1','type':'interactive','interactive':"
				    "{'type':'button_reply','button_reply':{'id':'banditore:join:yes','title':"
				    "'S\\u00ec, mi iscrivo'}}},"
				    "{'from':'393330000101','id':'wamid.I2','type':'interactive','interactive':"
				    "{'type':'list_reply','list_reply':{'id':'row-2','title':'Eventi',"
				    "'description':'Sagre e mercati'}}},"
				    "{'from':'393330000101','id':'wamid.I3','type':'interactive','interactive':"
				    "{'button_reply':7,'list_reply':{'id':'row-3','title':'x'}}},"
				    "{'from':'393330000101','id':'wamid.I4','type':'interactive','interactive':"
				    "{'type':'nfm_reply','nfm_reply':{'response_json':'{}'}}}]"),
		      1, &p),
		0);
	assert_int_equal(p.count, 6);
	assert_string_equal(p.events[0].type, "button");
	assert_string_equal(p.events[0].text, "Disiscriviti");
	assert_int_equal(p.events[0].timestamp, 1750000002);
	assert_string_equal(p.events[1].text, "");
	assert_string_equal(p.events[2].reply_id, "banditore:join:yes");
	assert_string_equal(p.events[2].text, "S\xc3\xac, mi iscrivo");
	assert_string_equal(p.events[3].reply_id, "row-2");
	assert_string_equal(p.events[3].text, "Eventi");
	/* a button_reply that is not an object hides the list_reply, as json_object_get does */
	assert_string_equal(p.events[4].reply_id, "");
	assert_string_equal(p.events[4].text, "");
	assert_string_equal(p.events[5].type, "interactive");
	assert_string_equal(p.events[5].text, "");
	wa_payload_free(&p);
}

static void test_other_types(void **state)
{
	struct wa_payload p;

	(void)state;
	assert_int_equal(
		parse(VALUE(CONTACT "'messages':["
				    "{'from':'393330000101','id':'wamid.M1','timestamp':'1750000003','type':"
				    "'image','image':{'mime_type':'image/jpeg','sha256':'abc','id':'1'}},"
				    "{'from':'393330000101','id':'wamid.M2','type':'reaction','reaction':"
				    "{'message_id':'wamid.X','emoji':'\\ud83d\\udc4d'}},"
				    "{'from':'393330000101','id':'wamid.M3','type':'location','location':"
				    "{'latitude':45.4642,'longitude':9.19,'name':'Piazza'}},"
				    "{'from':'393330000101','id':'wamid.M4','type':'unsupported','errors':"
				    "[{'code':131051,'title':'Unsupported message type'}]}]"),
		      1, &p),
		0);
	assert_int_equal(p.count, 4);
	assert_string_equal(p.events[0].type, "image");
	assert_string_equal(p.events[0].text, "");
	assert_string_equal(p.events[1].type, "reaction");
	assert_string_equal(p.events[2].type, "location");
	assert_int_equal(p.events[3].error_code, 0); /* only statuses carry their error */
	wa_payload_free(&p);
}

static void test_statuses(void **state)
{
	struct wa_payload p;

	(void)state;
	assert_int_equal(
		parse(VALUE("'statuses':["
			    "{'id':'wamid.S1','status':'sent','timestamp':'1750000004','recipient_id':"
			    "'393330000101','conversation':{'id':'c1','expiration_timestamp':'1750086400',"
			    "'origin':{'type':'utility'}},'pricing':{'billable':true,'pricing_model':'PMP',"
			    "'category':'utility'},'biz_opaque_callback_data':'m=12;r=34'},"
			    "{'id':'wamid.S2','status':'read','timestamp':1750000005,'recipient_id':"
			    "'393330000101'},"
			    "{'id':'wamid.S3','status':'failed','timestamp':'1750000006','recipient_id':"
			    "'393330000101','biz_opaque_callback_data':'m=12','errors':[{'code':131026,"
			    "'title':'Message undeliverable','error_data':{'details':'x'}},{'code':1}]},"
			    "{'id':'wamid.S4','status':'failed','errors':[{'code':'131026'}]},"
			    "{'id':'wamid.S5','status':'failed','errors':[1,{'code':2}]},"
			    "{'id':'wamid.S6','status':'failed','errors':[{'code':-4.5}],'timestamp':"
			    "' 17'},"
			    "{'id':'wamid.S7','status':'delivered','timestamp':'17x','errors':{}}]"),
		      1, &p),
		0);
	assert_int_equal(p.count, 7);
	assert_int_equal(p.events[0].kind, WA_EVENT_STATUS);
	assert_string_equal(p.events[0].id, "wamid.S1");
	assert_string_equal(p.events[0].type, "sent");
	assert_string_equal(p.events[0].biz_opaque, "m=12;r=34");
	assert_string_equal(p.events[0].from, "");
	assert_int_equal(p.events[0].timestamp, 1750000004);
	assert_int_equal(p.events[1].timestamp, 1750000005);
	assert_string_equal(p.events[1].biz_opaque, "");
	assert_int_equal(p.events[2].error_code, 131026);
	assert_int_equal(p.events[3].error_code, 0); /* a string code is no code */
	assert_int_equal(p.events[4].error_code, 0); /* only the first error counts */
	assert_int_equal(p.events[5].error_code, 0);
	assert_int_equal(p.events[5].timestamp, 17); /* strtoll's rules, as before */
	assert_int_equal(p.events[6].timestamp, 0);
	wa_payload_free(&p);
}

/* Changes of other fields are counted, not read, even when their value looks like
 * messages (read while the field was unknown, then dropped). */
static void test_ignored_fields(void **state)
{
	struct wa_payload p;

	(void)state;
	assert_int_equal(
		parse("{'object':'whatsapp_business_account','entry':["
		      "{'id':'1','time':1750000000,'changes':["
		      "{'value':{'messages':[{'from':'393330000101','id':'wamid.D1','type':'text',"
		      "'text':{'body':'dropped'}}]},'field':'message_template_status_update'},"
		      "{'value':{'messages':[{'from':'393330000101','id':'wamid.K1','type':'text',"
		      "'text':{'body':'kept'}}]},'field':'messages'},"
		      "{'field':'account_update','value':{'event':'VERIFIED_ACCOUNT'}},"
		      "{'field':'phone_number_quality_update','value':'not an object'},"
		      "{'value':{'messages':'not a list'},'field':'messages_x'}]},"
		      "{'changes':[]}]}",
		      1, &p),
		0);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.ignored, 4);
	assert_string_equal(p.events[0].id, "wamid.K1");
	assert_string_equal(p.events[0].text, "kept");
	wa_payload_free(&p);

	assert_int_equal(parse("{'entry':[],'object':'whatsapp_business_account'}", 1, &p), 0);
	assert_int_equal(p.count, 0);
	wa_payload_free(&p);
	assert_int_equal(parse("{'object':'whatsapp_business_accoun\\u0074','entry':[]}", 1, &p), 0);
	wa_payload_free(&p);
}

/* What the scanner is not certain of goes to jansson, which answers as before: first
 * bodies jansson accepts, then bodies it refuses. */
static void test_unsure_accepted(void **state)
{
	static const char *const bodies[] = {
		/* a key with an escape */
		VALUE("'messages':[{'fr\\u006fm':'393330000101','id':'w','type':'x'}]"),
		/* numbers jansson takes and the scanner does not vouch for */
		VALUE("'n':-1234567890123456789,'statuses':[]"),
		VALUE("'n':1e5,'statuses':[]"),
		VALUE("'n':0.1234567890123456,'statuses':[]"),
		/* deeper than the scanner follows */
		VALUE("'n':[[[[[[[[[[[1]]]]]]]]]]],'statuses':[]"),
		/* statuses before messages: jansson reads messages first */
		VALUE("'statuses':[{'id':'wamid.S','status':'sent'}],'messages':[{'from':'1','id':'m',"
		      "'type':'image'}]"),
		/* more keys in one object than the duplicate check compares */
		VALUE("'statuses':[{'id':'s','status':'sent','pricing':{'a0':0,'a1':1,'a2':2,'a3':3,"
		      "'a4':4,'a5':5,'a6':6,'a7':7,'a8':8,'a9':9,'b0':0,'b1':1,'b2':2,'b3':3,'b4':4,"
		      "'b5':5,'b6':6,'b7':7,'b8':8,'b9':9,'c0':0,'c1':1,'c2':2,'c3':3,'c4':4,'c5':5,"
		      "'c6':6,'c7':7,'c8':8,'c9':9,'d0':0,'d1':1,'d2':2}}]"),
		/* a timestamp string longer than the scanner copies */
		VALUE("'statuses':[{'id':'s','status':'sent','timestamp':'0000000000000000000000000000"
		      "00000000000000000000000000000000000000000000001750000000'}]"),
	};
	struct wa_payload p;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(parse(bodies[i], 0, &p), 0);
		wa_payload_free(&p);
	}
	parse(bodies[5], 0, &p);
	assert_int_equal(p.count, 2);
	assert_int_equal(p.events[0].kind, WA_EVENT_MESSAGE);
	wa_payload_free(&p);
	parse(bodies[7], 0, &p);
	assert_int_equal(p.events[0].timestamp, 1750000000);
	wa_payload_free(&p);
}

static void test_unsure_refused(void **state)
{
	static const char *const bodies[] = {
		/* a key twice, in objects read and in objects skipped */
		VALUE("'messages':[{'from':'393330000101','id':'a','id':'b','type':'image'}]"),
		VALUE("'metadata':{'x':1,'x':2},'statuses':[]"),
		VALUE("'statuses':[{'id':'s','status':'sent','pricing':{'billable':true,'billable':false}}]"),
		"{'object':'whatsapp_business_account','object':'whatsapp_business_account','entry':[]}",
		/* bytes that are not UTF-8, or a code point jansson refuses */
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\xc3'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\xc0\x80'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\xed\xa0\x80'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\xf4\x90\x80\x80'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\xff'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\\u0000'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\\ud83d'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\\ude42\\ud83d'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\\ud83d\\u0041'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\\u12G4'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'\\x'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':'a\tb'}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':01}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':12345678901234567890}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':1e999}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':1.}]"),
		VALUE("'statuses':[{'id':'s','status':'sent','x':tru}]"),
		VALUE("'statuses':[{'id':'s','status':'sent',}]"),
		/* something after the root, or the root cut */
		VALUE("'statuses':[]") " x",
		VALUE("'statuses':[]") "{}",
		"{'object':'whatsapp_business_account','entry':[]",
		"[]",
		"",
	};
	static const char nul[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[],\"x\":\"a\0b\"}";
	struct wa_payload p;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_int_equal(parse(bodies[i], 0, &p), BANDITORE_EINVAL);
	/* a NUL byte inside a string */
	assert_int_equal(parse_len(nul, sizeof(nul) - 1, 0, &p), BANDITORE_EINVAL);
}

/* Bodies well-formed as JSON that are not webhooks we read: refused by both. */
static void test_malformed(void **state)
{
	static const char *const bodies[] = {
		"{'object':'page','entry':[]}",
		"{'object':'whatsapp_business_accoun\\u0074x','entry':[]}",
		"{'entry':[]}",
		"{'object':'whatsapp_business_account'}",
		"{'object':'whatsapp_business_account','entry':{}}",
		"{'object':'whatsapp_business_account','entry':[1]}",
		"{'object':'whatsapp_business_account','entry':[{}]}",
		"{'object':'whatsapp_business_account','entry':[{'changes':{}}]}",
		"{'object':'whatsapp_business_account','entry':[{'changes':[[]]}]}",
		"{'object':'whatsapp_business_account','entry':[{'changes':[{'value':{}}]}]}",
		"{'object':'whatsapp_business_account','entry':[{'changes':[{'field':1,'value':{}}]}]}",
		"{'object':'whatsapp_business_account','entry':[{'changes':[{'field':'messages'}]}]}",
		ENVELOPE("[]"),
		VALUE("'messages':{}"),
		VALUE("'statuses':'sent'"),
		VALUE("'messages':[1]"),
		VALUE("'messages':[{'id':'wamid.X','type':'text','text':{'body':'a'}}]"),
		VALUE("'messages':[{'from':'+393330000101','id':'wamid.X','type':'image'}]"),
		VALUE("'messages':[{'from':'','id':'wamid.X','type':'image'}]"),
		VALUE("'messages':[{'from':393330000101,'id':'wamid.X','type':'image'}]"),
		VALUE("'messages':[{'from':'393330000101','id':'','type':'image'}]"),
		VALUE("'messages':[{'from':'393330000101','type':'image'}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X'}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'a-type-longer-than-24-bytes'}]"),
		VALUE("'messages':[{'from':'3933300001010000000000000','id':'wamid.X','type':'image'}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'text'}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'text','text':'a'}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'text','text':{}}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'text','text':{'body':1}}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'button','button':[]}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'button','button':{'text':null}}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'interactive'}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'interactive','interactive':"
		      "{'button_reply':{'id':7,'title':'x'}}}]"),
		VALUE("'messages':[{'from':'393330000101','id':'wamid.X','type':'interactive','interactive':"
		      "{'list_reply':{'id':'r','title':false}}}]"),
		VALUE("'statuses':[{'status':'sent'}]"),
		VALUE("'statuses':[{'id':'wamid.S'}]"),
		VALUE("'statuses':[{'id':'wamid.S','status':'sent','biz_opaque_callback_data':1}]"),
	};
	struct wa_payload p;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_int_equal(parse(bodies[i], 0, &p), BANDITORE_EINVAL);
}

/* Lengths at the limits: a text of WA_TEXT_MAX bytes fits, one more does not, in both
 * readers; after decoding, not before. */
static void test_limits(void **state)
{
	static const char head[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":"
				   "[{\"field\":\"messages\",\"value\":{\"messages\":[{\"from\":\"1\","
				   "\"id\":\"m\",\"type\":\"text\",\"text\":{\"body\":\"";
	static const char tail[] = "\"}}]}}]}]}";
	char *body = malloc(sizeof(head) + 6 * (WA_TEXT_MAX + 1) + sizeof(tail));
	struct wa_payload p;
	size_t n;

	(void)state;
	assert_non_null(body);
	for (int extra = 0; extra <= 1; extra++) {
		/* WA_TEXT_MAX + extra bytes as plain text, then as \u00e8 (two bytes each) */
		memcpy(body, head, n = sizeof(head) - 1);
		memset(body + n, 'a', WA_TEXT_MAX + extra);
		memcpy(body + n + WA_TEXT_MAX + extra, tail, sizeof(tail));
		assert_int_equal(parse_len(body, strlen(body), !extra, &p), extra ? BANDITORE_EINVAL : 0);
		if (!extra)
			assert_int_equal(strlen(p.events[0].text), WA_TEXT_MAX);
		wa_payload_free(&p);
		for (int i = 0; i < WA_TEXT_MAX / 2; i++)
			memcpy(body + n + 6 * i, "\\u00e8", 6);
		memcpy(body + n + 6 * (WA_TEXT_MAX / 2), extra ? "a" : "", (size_t)extra);
		memcpy(body + n + 6 * (WA_TEXT_MAX / 2) + extra, tail, sizeof(tail));
		assert_int_equal(parse_len(body, strlen(body), !extra, &p), extra ? BANDITORE_EINVAL : 0);
		wa_payload_free(&p);
	}
	free(body);
}

/* WA_PAYLOAD_MAX_EVENTS statuses are read by the scanner; one more is left to jansson,
 * which refuses the body. */
static void test_too_many_events(void **state)
{
	static const char head[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":"
				   "[{\"field\":\"messages\",\"value\":{\"statuses\":[";
	static const char one[] = "{\"id\":\"s\",\"status\":\"sent\"},";
	size_t cap = sizeof(head) + (WA_PAYLOAD_MAX_EVENTS + 1) * (sizeof(one) - 1) + 16, n;
	char *body = malloc(cap);
	struct wa_payload p;

	(void)state;
	assert_non_null(body);
	for (int extra = 0; extra <= 1; extra++) {
		memcpy(body, head, n = sizeof(head) - 1);
		for (int i = 0; i < WA_PAYLOAD_MAX_EVENTS + extra; i++, n += sizeof(one) - 1)
			memcpy(body + n, one, sizeof(one) - 1);
		memcpy(body + n - 1, "]}}]}]}", 8);
		assert_int_equal(parse_len(body, strlen(body), !extra, &p), extra ? BANDITORE_EINVAL : 0);
		if (!extra)
			assert_int_equal(p.count, WA_PAYLOAD_MAX_EVENTS);
		wa_payload_free(&p);
	}
	free(body);
}

/* The scanner's own rules, where whatsapp_answer.c relies on them: ASCII mode refuses
 * what UTF-8 mode checks, duplicates pass without JSON_SCAN_UNIQUE, depth is counted. */
static void test_scanner_modes(void **state)
{
	static const char utf8[] = "{\"a\":\"citt\xc3\xa0\",\"b\":\"\\u00e0\"}";
	static const char dup[] = "{\"a\":1,\"a\":2}";
	static const char deep[] = "[[[[1]]]]";
	struct json_scan s;
	struct json_scan_str str;
	char out[8];

	(void)state;
	json_scan_init(&s, utf8, strlen(utf8), 4, 0);
	assert_int_equal(json_scan_skip(&s), -1);
	json_scan_init(&s, utf8, strlen(utf8), 4, JSON_SCAN_UTF8);
	assert_int_equal(json_scan_skip(&s), 0);
	assert_int_equal(json_scan_end(&s), 0);
	json_scan_init(&s, dup, strlen(dup), 4, 0);
	assert_int_equal(json_scan_skip(&s), 0);
	json_scan_init(&s, dup, strlen(dup), 4, JSON_SCAN_UNIQUE);
	assert_int_equal(json_scan_skip(&s), -1);
	json_scan_init(&s, deep, strlen(deep), 4, 0);
	assert_int_equal(json_scan_skip(&s), 0);
	json_scan_init(&s, deep, strlen(deep), 3, 0);
	assert_int_equal(json_scan_skip(&s), -1);
	/* a copy that does not fit, and one that just does */
	json_scan_init(&s, "\"\\u00e0bcdef\"", 13, 4, JSON_SCAN_UTF8);
	assert_int_equal(json_scan_string(&s, &str), 0);
	assert_int_equal(json_scan_copy(&str, out, 7), -1);
	assert_int_equal(json_scan_copy(&str, out, 8), 7);
	assert_string_equal(out, "\xc3\xa0" "bcdef");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_escapes),
		cmocka_unit_test(test_button_and_interactive),
		cmocka_unit_test(test_other_types),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_ignored_fields),
		cmocka_unit_test(test_unsure_accepted),
		cmocka_unit_test(test_unsure_refused),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_too_many_events),
		cmocka_unit_test(test_scanner_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
