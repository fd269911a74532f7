/*
 * Keras model configurations (src/formats/keras.c).
 *
 * A Keras model is saved as a JSON description of serialized objects:
 *   Keras 2 (h5 model_config, tf.keras SavedModel keras_metadata.pb):
 *       {"class_name": "Dense", "config": {...}}
 *   Keras 3 (.keras config.json):
 *       {"module": "keras.layers", "class_name": "Dense", "config": {...},
 *        "registered_name": null, "build_config": {...}, "compile_config": {...}}
 * Loading resolves every such object to a Python class or function (for
 * Keras 3, by importing "module"), and a Lambda layer may carry marshalled
 * Python bytecode that runs when the layer is called (or, for Keras 2, when
 * it is deserialized).  The analysis walks the whole document (layers,
 * nested models, wrappers, activations, initializers, losses, optimizers,
 * compile/training configs) and reports:
 *   keras.lambda.bytecode     marshalled bytecode (CRITICAL)
 *   keras.lambda.source       Python source where a function is expected
 *   keras.module.dangerous    a known-dangerous callable (subprocess.run ...)
 *   keras.module.unknown      a class/function outside Keras' own modules
 *   keras.object.dangerous    Keras' own functions that download, load other
 *                             models or switch safe_mode off
 *   keras.vocabulary.external a lookup layer reading its vocabulary from a
 *                             path or URL
 */
#ifndef LC_FORMATS_KERAS_H
#define LC_FORMATS_KERAS_H

#include <jansson.h>

#include "core/lc.h"
#include "graph/graph.h"

/* Walks a parsed Keras config (model_config, training_config, config.json,
 * keras_metadata.pb JSON) and reports what loading it would resolve or run.
 * where names the carrier for messages ("config.json", "model_config
 * attribute" ...).  Limits (config_max_depth, config_max_nodes) are
 * recorded in ctx. */
void lc_keras_analyze_config(lc_ctx *ctx, json_t *root, const char *where);

/* Builds the layer graph of a model config (Sequential chain, Functional
 * inbound_nodes, nested models as nested subgraphs).  Returns NULL when root
 * is not a serialized object (or on allocation failure).  The caller may
 * complete the graph (params) and must pass it to lc_graph_done(). */
lc_graph *lc_keras_graph(lc_ctx *ctx, json_t *root, const char *producer);

/* True when root looks like a Keras serialized object: a JSON object with a
 * string "class_name" and a "config" member. */
int lc_keras_is_config(json_t *root);

#endif
