/*
 * Model configuration files (src/formats/model_config.c): JSON configs
 * (Hugging Face config.json, tokenizer_config.json, processor configs,
 * sentence-transformers modules.json ...) and Hydra/NeMo YAML configs.
 *
 * What makes a config dangerous is not its syntax but what a loader does
 * with some keys:
 *   auto_map, custom_pipelines   trust_remote_code=True imports a .py file of
 *                                the repository (or of another repository)
 *   _target_ (+_args_, _partial_) hydra.utils.instantiate() imports and
 *                                calls an arbitrary dotted name
 */
#ifndef LC_FORMATS_MODEL_CONFIG_H
#define LC_FORMATS_MODEL_CONFIG_H

#include <jansson.h>

#include "core/lc.h"

/* Walks an already parsed JSON document and reports what the model-config
 * reader reports (auto_map, custom_pipelines, _target_ ...).  For another
 * reader that claims a JSON config first (tokenizer_config.json with a chat
 * template) and wants these checks too.  Returns LC_OK or the error already
 * recorded (config_max_depth, config_max_nodes). */
lc_err lc_config_scan_json(lc_ctx *ctx, json_t *root);

#endif
