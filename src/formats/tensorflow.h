/*
 * TensorFlow readers (src/formats/tensorflow.c, tf_checkpoint.c) and the op
 * table they judge graphs with (src/formats/tf_ops.c).
 *
 * Formats
 *   tf-savedmodel     saved_model.pb: SavedModel { schema version, MetaGraphDef* }
 *   tf-graphdef       a frozen GraphDef (.pb): NodeDef*, library, versions
 *   keras-metadata    keras_metadata.pb: SavedMetadata { SavedObject* } whose
 *                     metadata strings are Keras JSON configs
 *   tf-checkpoint     variables.index: the table (SSTable) of a tensor bundle
 *   tf-fingerprint    fingerprint.pb: FingerprintDef (hashes only)
 *
 * What makes a TensorFlow graph dangerous is not code in the file (there is
 * none) but what its ops do when the graph runs: call back into host Python
 * (PyFunc), read, write or list files, talk to the network, open SQL
 * databases, dump tensors to debug sinks.  The same file ops are normal in
 * the saver subgraph (SaveV2/RestoreV2 write and read the checkpoint under
 * variables/), so the analysis judges each op by what reaches it: a serving
 * signature, a load-time init op, a function of the object graph, or only
 * the saver.
 *
 * String tensors: lc_tensor.data points at the bytes of the first element
 * of string_val (data_len its length); packed/packed_len are unused for
 * strings.
 */
#ifndef LC_FORMATS_TENSORFLOW_H
#define LC_FORMATS_TENSORFLOW_H

#include <stdbool.h>
#include <stddef.h>

/* What an op can do beyond computing on tensors. */
typedef enum tf_op_class {
	TF_OPC_PLAIN = 0,   /* computes on tensors (or unknown: see lc_tf_op_known) */
	TF_OPC_PYTHON,      /* PyFunc family: runs a host Python callable */
	TF_OPC_FILE,        /* reads, writes, lists or maps files */
	TF_OPC_CHECKPOINT,  /* SaveV2/RestoreV2/...: the file access of a saver */
	TF_OPC_NETWORK,     /* RPC, tf.data service */
	TF_OPC_SQL,         /* SQL datasets: open a database file / connection */
	TF_OPC_DEBUG,       /* tfdbg ops: dump tensors to debug_urls (file://, grpc://) */
	TF_OPC_PRINT,       /* PrintV2: a file when output_stream is file://... */
	TF_OPC_PROTO,       /* DecodeProto/EncodeProto: descriptor_source may be a file */
	TF_OPC_CACHE,       /* CacheDataset: a file cache when filename is non-empty */
	TF_OPC_TABLE_FILE,  /* InitializeTableFromTextFile: reads a (usually asset) file */
} tf_op_class;

/* Looks an op type up in the table of standard TensorFlow ops.  Returns
 * true when known; *cls receives its class (TF_OPC_PLAIN when unknown). */
bool lc_tf_op_lookup(const char *op, tf_op_class *cls);
/* The table itself, for the unit test that checks it is sorted. */
const char *lc_tf_op_name_at(size_t i);
size_t lc_tf_op_count(void);

/* Engine hook (see src/core/engine.c): true when path names a checkpoint
 * data shard ("<prefix>.data-NNNNN-of-NNNNN") whose sibling "<prefix>.index"
 * exists and ends with the table magic.  Data shards are raw tensor bytes
 * without any magic of their own, so content cannot identify them; the
 * index that describes them can. */
bool lc_tf_checkpoint_data_shard(const char *path);

#endif
