/*
 * tokenizer_config.json reader (src/formats/tokenizer_config.c).
 *
 * Hugging Face tokenizers store the chat template in tokenizer_config.json:
 * "chat_template" is a Jinja string, or a list of {"name", "template"}
 * objects (named templates such as "default", "tool_use", "rag").
 * transformers renders it with apply_chat_template() in an
 * ImmutableSandboxedEnvironment, so the template is what an attacker would
 * use to escape (see analyze/jinja_template.c).
 *
 * Bidding: a JSON object whose text holds a "chat_template" key.  The bid
 * (40) beats the generic JSON config reader (30) so tokenizer configs come
 * here; the config reader's checks (auto_map, _target_ ...) still run on the
 * parsed document through lc_config_scan_json().
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/jinja_template.h"
#include "core/lc.h"
#include "formats/model_config.h"

/* The bidder scans at most this much text for the key. */
#define TC_BID_SCAN (64u << 20)
#define TC_RULE "tokenizer-config.template.sandbox-escape"

static size_t skip_ws(const uint8_t *d, size_t len, size_t i)
{
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
		i++;
	return i;
}

int lc_bid_tokenizer_config(const uint8_t *data, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	i = skip_ws(data, len, i);
	if (i >= len || data[i] != '{' || len > TC_BID_SCAN)
		return 0;
	static const char key[] = "\"chat_template\"";
	const uint8_t *p = data + i, *end = data + len;
	while ((p = memmem(p, (size_t)(end - p), key, sizeof key - 1)) != NULL) {
		size_t j = skip_ws(data, len, (size_t)(p - data) + sizeof key - 1);
		if (j < len && data[j] == ':')
			return 40;
		p += sizeof key - 1;
	}
	return 0;
}

lc_err lc_parse_tokenizer_config(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	json_error_t jerr;
	/* Big integers are common ("model_max_length": 1e30 written as an
	 * integer); reading numbers as reals keeps such files parseable. */
	json_t *root = json_loadb((const char *)data, len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return lc_fail(ctx, LC_E_MALFORMED, jerr.position >= 0 ? (uint64_t)jerr.position : LC_NO_OFFSET,
			       "tokenizer config: JSON does not parse: %s (line %d, column %d)", jerr.text, jerr.line,
			       jerr.column);
	lc_err err = LC_OK;
	if (!json_is_object(root)) {
		err = lc_fail(ctx, LC_E_MALFORMED, 0, "tokenizer config: top level is not a JSON object");
		goto out;
	}
	json_t *ct = json_object_get(root, "chat_template");
	if (json_is_string(ct)) {
		err = lc_jinja_check(ctx, TC_RULE, "chat_template", (const uint8_t *)json_string_value(ct),
				     json_string_length(ct), LC_NO_OFFSET);
	} else if (json_is_array(ct)) {
		size_t i;
		json_t *e;
		json_array_foreach(ct, i, e) {
			json_t *nm = json_object_get(e, "name"), *tp = json_object_get(e, "template");
			if (!json_is_object(e) || !json_is_string(tp)) {
				err = lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET,
					      "tokenizer config: chat_template[%zu] is not a {name, template} object", i);
				break;
			}
			char where[160], nb[100];
			if (json_is_string(nm))
				lc_escape((const uint8_t *)json_string_value(nm), json_string_length(nm), 40, nb,
					  sizeof nb);
			else
				snprintf(nb, sizeof nb, "#%zu", i);
			snprintf(where, sizeof where, "chat_template[%s]", nb);
			err = lc_jinja_check(ctx, TC_RULE, where, (const uint8_t *)json_string_value(tp),
					     json_string_length(tp), LC_NO_OFFSET);
			if (err != LC_OK)
				break;
		}
	} else if (ct && !json_is_null(ct)) {
		err = lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET,
			      "tokenizer config: chat_template is neither a string nor a list of {name, template}");
	}
	if (err == LC_OK)
		err = lc_config_scan_json(ctx, root);
out:
	json_decref(root);
	return err;
}
