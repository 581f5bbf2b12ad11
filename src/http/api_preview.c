/*
 * api_preview.c - how each platform of the channel will show a message: the console's
 * compose page shows it while one writes (POST /api/v1/policy/check answers it as
 * "previews"). Each platform's connector renders it (connector_ops_for()->render), the
 * same function the delivery lanes send, so the preview cannot drift from what goes out.
 */
#include "http/api_internal.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/platform.h"
#include "config/config.h"
#include "connectors/connector.h"

#include <string.h>

json_t *api_render_previews(const struct config *cfg, const struct store_message *m)
{
	json_t *arr = json_array();
	char permalink[1200];

	if (!arr)
		return NULL;
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		const struct connector_ops *ops = connector_ops_for(p);
		struct connector_message cm;
		struct connector_rendered info;
		struct buf out;
		json_t *o;
		int rc;

		if (!cfg || !(cfg->platforms & (1 << p)) || !ops || !ops->render)
			continue;
		connector_message_init(&cm, m->id, m->title, m->text, m->link, m->category,
				       m->priority == STORE_PRIORITY_EMERGENCY, m->media_type, cfg,
				       permalink, sizeof(permalink));
		memset(&info, 0, sizeof(info));
		buf_init(&out, CONNECTOR_RENDER_MAX);
		rc = ops->render(&cm, &out, &info);
		if (rc)
			o = json_pack("{s:s, s:s}", "platform", platform_name(p), "error",
				      rc == BANDITORE_EINVAL ? "invalid" : "internal");
		else
			o = json_pack("{s:s, s:s, s:s, s:I, s:i, s:b, s:b}", "platform", platform_name(p),
				      "title", info.title, "body", buf_cstr(&out), "chars",
				      (json_int_t)info.chars, "parts", info.parts, "cut", info.cut,
				      "media_dropped", info.media_dropped);
		buf_free(&out);
		if (o)
			json_array_append_new(arr, o);
	}
	return arr;
}
