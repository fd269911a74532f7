/*
 * TFLite reader (src/formats/tflite.c): TensorFlow Lite flatbuffer models
 * (schema tensorflow/compiler/mlir/lite/schema/schema.fbs, file identifier
 * "TFL3", schema version 3).
 *
 * A .tflite file is one FlatBuffer: Model { version, operator_codes,
 * subgraphs, description, buffers, metadata_buffer, metadata,
 * signature_defs }.  Every subgraph lists tensors (by index), its input and
 * output tensor indices and operators; an operator names an operator code by
 * index and its input/output tensors by index.  Constant tensors point to a
 * buffer (inside the flatbuffer, or for >2 GB models at a 64-bit offset from
 * the start of the file).  The format carries no code of its own: the risk
 * is in operators whose kernels are not TFLite's builtins - custom ops (a
 * host library must register a kernel under that name) and Flex ops
 * (custom_code "Flex<TFOp>": the Flex delegate runs the full TensorFlow
 * kernel, file I/O and py_func included).
 *
 * Everything is read through the bounds-checked flatbuffer reader
 * (formats/flatbuffer.c) and copied into the graph model only as names and
 * small facts; tensor data stays in the view (lc_tensor.data points into
 * it).  Structural problems a TFLite loader would trip over (offsets outside
 * the file, indices out of range, a CUSTOM code without a name) are errors:
 * a file TFLite cannot load is not "clean".
 *
 * Bid: strong only with the "TFL3" identifier at bytes 4..7 (TFLite's own
 * verifier requires it).  A bare flatbuffer without identifier is left
 * unclaimed (reported as unrecognised binary): claiming arbitrary bytes that
 * happen to start with a plausible offset would misreport other formats.
 *
 * Some TFLite files carry a zip archive after the flatbuffer (TFLite
 * metadata "associated files": labels, vocabularies).  The reader covers
 * "zip" and scans that archive itself, so its members are inspected like
 * any other zip's without a polyglot warning for a standard layout.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"
#include "formats/flatbuffer.h"
#include "formats/tensorflow.h"
#include "graph/graph.h"

/* BuiltinOperator names by value (schema.fbs, up to COMPLEX = 207). */
// clang-format off
static const char *const builtin_names[] = {
	"ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
	"DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION",
	"L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D",
	"MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX",
	"SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
	"EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
	"SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
	"STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
	"BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG",
	"PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
	"SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT",
	"SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR",
	"ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE",
	"ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
	"SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
	"GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",
	"MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
	"NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
	"PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D",
	"IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",
	"REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
	"BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU",
	"DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",
	"UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR",
	"RIGHT_SHIFT", "STABLEHLO_LOGISTIC", "STABLEHLO_ADD", "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY",
	"STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE", "STABLEHLO_CLAMP", "STABLEHLO_CONCATENATE",
	"STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE", "STABLEHLO_CUSTOM_CALL",
	"STABLEHLO_REDUCE", "STABLEHLO_ABS", "STABLEHLO_AND", "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL",
	"STABLEHLO_FLOOR", "STABLEHLO_LOG", "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE", "STABLEHLO_OR",
	"STABLEHLO_POWER", "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT",
	"STABLEHLO_SUBTRACT", "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE",
	"STABLEHLO_CONVERT", "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE", "STABLEHLO_PAD",
	"STABLEHLO_IOTA", "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW", "STABLEHLO_SORT",
	"STABLEHLO_WHILE", "STABLEHLO_GATHER", "STABLEHLO_TRANSPOSE", "DILATE",
	"STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE", "COMPLEX",
};

/* BuiltinOptions union member names by type (0 = NONE). */
static const char *const options_names[] = {
	"NONE", "Conv2DOptions", "DepthwiseConv2DOptions", "ConcatEmbeddingsOptions", "LSHProjectionOptions",
	"Pool2DOptions", "SVDFOptions", "RNNOptions", "FullyConnectedOptions", "SoftmaxOptions",
	"ConcatenationOptions", "AddOptions", "L2NormOptions", "LocalResponseNormalizationOptions",
	"LSTMOptions", "ResizeBilinearOptions", "CallOptions", "ReshapeOptions", "SkipGramOptions",
	"SpaceToDepthOptions", "EmbeddingLookupSparseOptions", "MulOptions", "PadOptions", "GatherOptions",
	"BatchToSpaceNDOptions", "SpaceToBatchNDOptions", "TransposeOptions", "ReducerOptions", "SubOptions",
	"DivOptions", "SqueezeOptions", "SequenceRNNOptions", "StridedSliceOptions", "ExpOptions",
	"TopKV2Options", "SplitOptions", "LogSoftmaxOptions", "CastOptions", "DequantizeOptions",
	"MaximumMinimumOptions", "ArgMaxOptions", "LessOptions", "NegOptions", "PadV2Options",
	"GreaterOptions", "GreaterEqualOptions", "LessEqualOptions", "SelectOptions", "SliceOptions",
	"TransposeConvOptions", "SparseToDenseOptions", "TileOptions", "ExpandDimsOptions", "EqualOptions",
	"NotEqualOptions", "ShapeOptions", "PowOptions", "ArgMinOptions", "FakeQuantOptions", "PackOptions",
	"LogicalOrOptions", "OneHotOptions", "LogicalAndOptions", "LogicalNotOptions", "UnpackOptions",
	"FloorDivOptions", "SquareOptions", "ZerosLikeOptions", "FillOptions",
	"BidirectionalSequenceLSTMOptions", "BidirectionalSequenceRNNOptions",
	"UnidirectionalSequenceLSTMOptions", "FloorModOptions", "RangeOptions",
	"ResizeNearestNeighborOptions", "LeakyReluOptions", "SquaredDifferenceOptions", "MirrorPadOptions",
	"AbsOptions", "SplitVOptions", "UniqueOptions", "ReverseV2Options", "AddNOptions", "GatherNdOptions",
	"CosOptions", "WhereOptions", "RankOptions", "ReverseSequenceOptions", "MatrixDiagOptions",
	"QuantizeOptions", "MatrixSetDiagOptions", "HardSwishOptions", "IfOptions", "WhileOptions",
	"DepthToSpaceOptions", "NonMaxSuppressionV4Options", "NonMaxSuppressionV5Options",
	"ScatterNdOptions", "SelectV2Options", "DensifyOptions", "SegmentSumOptions", "BatchMatMulOptions",
	"CumsumOptions", "CallOnceOptions", "BroadcastToOptions", "Rfft2dOptions", "Conv3DOptions",
	"HashtableOptions", "HashtableFindOptions", "HashtableImportOptions", "HashtableSizeOptions",
	"VarHandleOptions", "ReadVariableOptions", "AssignVariableOptions", "RandomOptions",
	"BucketizeOptions", "GeluOptions", "DynamicUpdateSliceOptions", "UnsortedSegmentProdOptions",
	"UnsortedSegmentMaxOptions", "UnsortedSegmentMinOptions", "UnsortedSegmentSumOptions",
	"ATan2Options", "SignOptions", "BitcastOptions", "BitwiseXorOptions", "RightShiftOptions",
};

/* BuiltinOptions2 union member names by type (0 = NONE). */
static const char *const options2_names[] = {
	"NONE", "StablehloConcatenateOptions", "StablehloBroadcastInDimOptions", "StablehloSliceOptions",
	"StablehloConvolutionOptions", "StablehloCustomCallOptions", "StablehloReduceOptions",
	"StablehloScatterOptions", "StablehloCompareOptions", "StablehloDynamicSliceOptions",
	"StablehloPadOptions", "StablehloIotaOptions", "StablehloDotGeneralOptions",
	"StablehloReduceWindowOptions", "StablehloSortOptions", "StablehloWhileOptions",
	"StablehloGatherOptions", "StablehloTransposeOptions", "DilateOptions",
	"StablehloRngBitGeneratorOptions", "ReduceWindowOptions", "StableHLOCompositeOptions",
};
// clang-format on

#define NBUILTIN  (sizeof builtin_names / sizeof builtin_names[0])
#define NOPTIONS  (sizeof options_names / sizeof options_names[0])
#define NOPTIONS2 (sizeof options2_names / sizeof options2_names[0])
_Static_assert(NBUILTIN == 208, "BuiltinOperator: ADD = 0 ... COMPLEX = 207");
_Static_assert(NOPTIONS == 127 && NOPTIONS2 == 22, "BuiltinOptions / BuiltinOptions2 members + NONE");

/* Selected BuiltinOperator values and union type indices (schema.fbs). */
enum { OP_CUSTOM = 32, OP_PLACEHOLDER = 127 };
enum { OPT_CALL = 16, OPT_IF = 92, OPT_WHILE = 93, OPT_CALL_ONCE = 103 };
enum {
	OPT2_CUSTOM_CALL = 5,
	OPT2_REDUCE = 6,
	OPT2_SCATTER = 7,
	OPT2_REDUCE_WINDOW = 13,
	OPT2_SORT = 14,
	OPT2_WHILE = 15,
	OPT2_COMPOSITE = 21
};

/* Field ids (declaration order in schema.fbs; a union takes two ids: the
 * type byte, then the value). */
enum {
	M_VERSION,
	M_OPCODES,
	M_SUBGRAPHS,
	M_DESCRIPTION,
	M_BUFFERS,
	M_METADATA_BUFFER,
	M_METADATA,
	M_SIGNATURES
};
enum { OC_DEPRECATED_CODE, OC_CUSTOM_CODE, OC_VERSION, OC_BUILTIN_CODE };
enum { SG_TENSORS, SG_INPUTS, SG_OUTPUTS, SG_OPERATORS, SG_NAME };
enum {
	T_SHAPE,
	T_TYPE,
	T_BUFFER,
	T_NAME,
	T_QUANT,
	T_IS_VARIABLE,
	T_SPARSITY,
	T_SHAPE_SIGNATURE,
	T_HAS_RANK,
	T_VARIANT_TENSORS
};
enum {
	OP_OPCODE_INDEX,
	OP_INPUTS,
	OP_OUTPUTS,
	OP_OPTIONS_TYPE,
	OP_OPTIONS,
	OP_CUSTOM_OPTIONS,
	OP_CUSTOM_FORMAT,
	OP_MUTATING,
	OP_INTERMEDIATES,
	OP_LARGE_CUSTOM_OFFSET,
	OP_LARGE_CUSTOM_SIZE,
	OP_OPTIONS2_TYPE,
	OP_OPTIONS2
};
enum { B_DATA, B_OFFSET, B_SIZE };
enum { MD_NAME, MD_BUFFER };
enum { TM_NAME, TM_TENSOR_INDEX };
enum { SD_INPUTS, SD_OUTPUTS, SD_KEY, SD_DEPRECATED_TAG, SD_SUBGRAPH_INDEX };
enum { Q_MIN, Q_MAX, Q_SCALE, Q_ZERO_POINT, Q_DETAILS_TYPE, Q_DETAILS, Q_DIMENSION };

/* TensorType -> graph dtype. */
static lc_dtype map_dtype(int8_t t)
{
	static const lc_dtype map[] = {
	        LC_DT_F32,   LC_DT_F16, LC_DT_I32, LC_DT_U8,  LC_DT_I64,  LC_DT_STRING, LC_DT_BOOL,
	        LC_DT_I16,   LC_DT_C64, LC_DT_I8,  LC_DT_F64, LC_DT_C128, LC_DT_U64,    LC_DT_OTHER,
	        LC_DT_OTHER, LC_DT_U32, LC_DT_U16, LC_DT_I4,  LC_DT_BF16,
	};
	return t >= 0 && (size_t)t < sizeof map / sizeof map[0] ? map[t] : LC_DT_UNKNOWN;
}

/* ---- custom and Flex operators -------------------------------------------
 * Custom ops whose kernels ship with TFLite, TFLite Micro or a vendor
 * toolchain and carry no host code of their own: INFO.  Anything else needs
 * a kernel some host library registers under that name: MEDIUM. */
static const char *const benign_custom[] = {
        /* TFLite's own custom kernels (tensorflow/lite/kernels, perception ops) */
        "TFLite_Detection_PostProcess",
        "Mfcc",
        "AudioSpectrogram",
        "ParseExample",
        "ParseExampleV2",
        "NumericVerify",
        "MaxPoolingWithArgmax2D",
        "MaxUnpooling2D",
        "Convolution2DTransposeBias",
        "DensifyOp",
        "Irfft2d",
        "AudioMicrofrontend",
        "HashTableV2",
        "LookupTableFindV2",
        "LookupTableImportV2",
        "LookupTableSizeV2",
        "RandomStandardNormal",
        "RandomUniform",
        "RandomUniformInt",
        "Multinomial",
        "Atan2",
        "Sign",
        "TFLM_DETECTION_POSTPROCESS",
        /* TFLite Micro kernels */
        "CIRCULAR_BUFFER",
        "ETHOSU",
        /* NPU command streams compiled by vendor tools (run on the accelerator) */
        "ethos-u",
        "edgetpu-custom-op",
        /* MediaPipe / TFLite support kernels */
        "Landmarks2TransformMatrix",
        "TransformLandmarks",
        "TransformTensorBilinear",
};

static int benign_custom_op(const char *s, size_t n)
{
	/* TFLite Micro's signal library: SignalWindow, SignalRfft, SignalFilterBank* ... */
	if (n > 6 && memcmp(s, "Signal", 6) == 0)
		return 1;
	for (size_t i = 0; i < sizeof benign_custom / sizeof benign_custom[0]; i++)
		if (strlen(benign_custom[i]) == n && memcmp(benign_custom[i], s, n) == 0)
			return 1;
	return 0;
}

/* Flex ops (TensorFlow kernels run by the Flex delegate) that reach outside
 * the tensor world.  Python-calling ops are CRITICAL (they run a Python
 * callable of the host process), file-system ops HIGH, everything else
 * MEDIUM: the Flex delegate links the whole TF kernel library. */
static const struct {
	const char *op;
	lc_severity sev;
	const char *why;
} flex_dangerous[] = {
        {"PyFunc", LC_SEV_CRITICAL, "calls a Python function of the host process"},
        {"PyFuncStateless", LC_SEV_CRITICAL, "calls a Python function of the host process"},
        {"EagerPyFunc", LC_SEV_CRITICAL, "calls a Python function of the host process"},
        {"ReadFile", LC_SEV_HIGH, "reads an arbitrary file"},
        {"WriteFile", LC_SEV_HIGH, "writes an arbitrary file"},
        {"MatchingFiles", LC_SEV_HIGH, "lists files of the host"},
        {"ImmutableConst", LC_SEV_HIGH, "maps an arbitrary file into memory"},
        {"Save", LC_SEV_HIGH, "writes a checkpoint file"},
        {"SaveV2", LC_SEV_HIGH, "writes a checkpoint file"},
        {"SaveSlices", LC_SEV_HIGH, "writes a checkpoint file"},
        {"Restore", LC_SEV_HIGH, "reads a checkpoint file"},
        {"RestoreV2", LC_SEV_HIGH, "reads a checkpoint file"},
        {"RestoreSlice", LC_SEV_HIGH, "reads a checkpoint file"},
        {"MergeV2Checkpoints", LC_SEV_HIGH, "moves and deletes checkpoint files"},
        {"WholeFileReader", LC_SEV_HIGH, "reads arbitrary files"},
        {"WholeFileReaderV2", LC_SEV_HIGH, "reads arbitrary files"},
        {"TextLineDataset", LC_SEV_HIGH, "reads arbitrary files"},
        {"TFRecordDataset", LC_SEV_HIGH, "reads arbitrary files"},
        {"FixedLengthRecordDataset", LC_SEV_HIGH, "reads arbitrary files"},
        {"LoadAndRemapMatrix", LC_SEV_HIGH, "reads a checkpoint file"},
        {"DebugIdentityV2", LC_SEV_HIGH, "writes debug dumps to a file system location"},
};

/* Severity of a Flex op: the TensorFlow op table (formats/tf_ops.c, shared
 * with the TensorFlow readers) classifies the op; the short list above is
 * kept as a floor so the verdict does not depend on that table alone.  A TF
 * op the table does not know would need a custom TF kernel library besides
 * the Flex delegate. */
static const char *flex_judge(const char *op, lc_severity *sev)
{
	const char *why = "the full TensorFlow kernel library runs it";
	*sev = LC_SEV_MEDIUM;
	tf_op_class cls;
	if (!lc_tf_op_lookup(op, &cls)) {
		why = "not a standard TensorFlow op: it needs a custom TensorFlow kernel library";
	} else {
		switch (cls) {
		case TF_OPC_PYTHON:
			*sev = LC_SEV_CRITICAL;
			why = "it calls a Python function of the host process";
			break;
		case TF_OPC_FILE:
		case TF_OPC_CHECKPOINT:
		case TF_OPC_TABLE_FILE:
			*sev = LC_SEV_HIGH;
			why = "it reads, writes, lists or maps files of the host";
			break;
		case TF_OPC_NETWORK:
			*sev = LC_SEV_HIGH;
			why = "it talks to the network";
			break;
		case TF_OPC_SQL:
			*sev = LC_SEV_HIGH;
			why = "it opens a SQL database";
			break;
		case TF_OPC_DEBUG:
		case TF_OPC_PRINT:
		case TF_OPC_PROTO:
		case TF_OPC_CACHE:
			why = "depending on its attributes (custom_options) it can write or read files";
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < sizeof flex_dangerous / sizeof flex_dangerous[0]; i++)
		if (strcmp(flex_dangerous[i].op, op) == 0 && flex_dangerous[i].sev > *sev) {
			*sev = flex_dangerous[i].sev;
			why = flex_dangerous[i].why;
		}
	return why;
}

/* ---- state ----------------------------------------------------------------- */

typedef struct tfl_code {
	int32_t code;   /* builtin code, OP_CUSTOM for custom/flex */
	const char *op; /* graph op name (arena) */
	const char *domain;
	const char *custom; /* custom_code in the view, or NULL */
	size_t custom_len;
	int32_t version;
	int kind; /* 0 builtin, 1 custom, 2 flex */
} tfl_code;

typedef struct tfl_buf {
	const uint8_t *data;
	uint64_t len;
	int counted; /* bytes already added to param_bytes */
} tfl_buf;

typedef struct tfl_tensor {
	const char *name; /* unique within the subgraph (arena) */
	size_t name_len;
	lc_dtype dtype;
	lc_shape shape;
} tfl_tensor;

/* Set of names, for unique tensor names per subgraph. */
typedef struct nslot {
	const char *s;
	size_t n;
} nslot;
typedef struct nset {
	nslot *slot;
	size_t cap, used;
} nset;

typedef struct tfl {
	lc_ctx *ctx;
	const uint8_t *d;
	size_t n;
	lc_fb fb;
	lc_graph *g;
	tfl_code *codes;
	uint32_t ncodes;
	tfl_buf *bufs;
	uint32_t nbufs;
	uint32_t nsubs;
	tfl_tensor **tensors; /* per subgraph */
	uint32_t *ntensors;
	int has_tflite_metadata;
	/* where we are, for error messages */
	char where[96];
} tfl;

static uint64_t hash_n(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

/* 1 inserted, 0 present, -1 allocation failure. */
static int nset_add(nset *s, const char *p, size_t n)
{
	if (2 * (s->used + 1) > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		nslot *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slot[i].s)
				continue;
			size_t j = hash_n(s->slot[i].s, s->slot[i].n) & (ncap - 1);
			while (ns[j].s)
				j = (j + 1) & (ncap - 1);
			ns[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	size_t j = hash_n(p, n) & (s->cap - 1);
	while (s->slot[j].s) {
		if (s->slot[j].n == n && memcmp(s->slot[j].s, p, n) == 0)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slot[j].s = p;
	s->slot[j].n = n;
	s->used++;
	return 1;
}

/* Turns the flatbuffer reader's first error into the scan error. */
static lc_err fb_error(tfl *t)
{
	if (t->fb.limit == 1)
		return lc_limit_hit(t->ctx, LC_LIMIT_fb_max_tables, t->fb.err_off,
		                    "flatbuffer tables visited");
	if (t->fb.limit == 2)
		return lc_limit_hit(t->ctx, LC_LIMIT_fb_max_depth, t->fb.err_off, "flatbuffer table nesting");
	return lc_fail(t->ctx, LC_E_MALFORMED, t->fb.err_off, "tflite: %s%s%s", t->where,
	               t->where[0] ? ": " : "", t->fb.err);
}

static lc_err malformed(tfl *t, uint64_t off, const char *fmt, ...) LC_PRINTF(3, 4);
static lc_err malformed(tfl *t, uint64_t off, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return lc_fail(t->ctx, LC_E_MALFORMED, off, "tflite: %s%s%s", t->where, t->where[0] ? ": " : "", msg);
}

#define WHERE(t, ...) snprintf((t)->where, sizeof(t)->where, __VA_ARGS__)

/* An error already recorded (by the graph or the flatbuffer reader)? */
static lc_err fb_or_graph(tfl *t)
{
	if (t->fb.failed)
		return fb_error(t);
	if (t->ctx->file->error_code != LC_OK)
		return t->ctx->file->error_code;
	return lc_fail(t->ctx, LC_E_NOMEM, LC_NO_OFFSET, "tflite: out of memory building the graph");
}

/* prefix + name, printable ASCII only ('!' separates member levels), cut at
 * 64 characters: names come from the file. */
static void safe_name(const char *s, size_t n, const char *prefix, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *prefix && o + 1 < outlen; prefix++)
		out[o++] = *prefix;
	for (size_t i = 0; s && i < n && i < 64 && o + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = ch > 0x20 && ch < 0x7f && ch != '!' ? (char)ch : '_';
	}
	out[o] = '\0';
}

/* ---- bid ----------------------------------------------------------------- */

int lc_bid_tflite(const uint8_t *data, size_t len)
{
	if (len < 12 || memcmp(data + 4, "TFL3", 4) != 0)
		return 0;
	/* The identifier is the magic; a root offset outside the file is still
	 * claimed (weaker) so the damage is reported precisely. */
	uint32_t root = lc_le32(data);
	if (root < 8 || (uint64_t)root + 4 > len)
		return 60;
	return 90;
}

/* ---- model-level tables ------------------------------------------------------ */

static lc_err read_buffers(tfl *t, const lc_fb_table *model)
{
	lc_fb *fb = &t->fb;
	lc_fb_vec v;
	WHERE(t, "buffers");
	int r = lc_fb_vector(fb, model, M_BUFFERS, 4, &v);
	if (r < 0)
		return fb_error(t);
	if (r == 0 || v.len == 0)
		return LC_OK;
	t->bufs = calloc(v.len, sizeof *t->bufs);
	if (!t->bufs)
		return lc_fail(t->ctx, LC_E_NOMEM, LC_NO_OFFSET, "tflite: out of memory (%u buffers)", v.len);
	t->nbufs = v.len;
	for (uint32_t i = 0; i < v.len; i++) {
		lc_fb_table b;
		lc_fb_vec data;
		uint64_t off, size;
		WHERE(t, "buffer %u", i);
		if (!lc_fb_vec_table(fb, &v, i, &b) || lc_fb_vector(fb, &b, B_DATA, 1, &data) < 0 ||
		    !lc_fb_u64(fb, &b, B_OFFSET, 0, &off) || !lc_fb_u64(fb, &b, B_SIZE, 0, &size))
			return fb_error(t);
		if (data.len) {
			t->bufs[i].data = lc_fb_vec_data(fb, &data);
			t->bufs[i].len = data.len;
		}
		/* >2 GB models: data outside the flatbuffer, offset from the start
		 * of the file, "only valid if > 1" (schema.fbs). */
		if (off > 1) {
			if (data.len)
				return malformed(t, b.pos,
				                 "both inline data (%u bytes) and an external offset",
				                 data.len);
			if (off > t->n || size > t->n - off)
				return malformed(
				        t, b.pos,
				        "data at offset %llu, %llu bytes, is outside the file (%zu bytes)",
				        (unsigned long long)off, (unsigned long long)size, t->n);
			t->bufs[i].data = t->d + off;
			t->bufs[i].len = size;
		}
	}
	return LC_OK;
}

static lc_err read_codes(tfl *t, const lc_fb_table *model)
{
	lc_fb *fb = &t->fb;
	lc_fb_vec v;
	WHERE(t, "operator_codes");
	int r = lc_fb_vector(fb, model, M_OPCODES, 4, &v);
	if (r < 0)
		return fb_error(t);
	if (r == 0 || v.len == 0)
		return LC_OK;
	t->codes = calloc(v.len, sizeof *t->codes);
	if (!t->codes)
		return lc_fail(t->ctx, LC_E_NOMEM, LC_NO_OFFSET, "tflite: out of memory (%u operator codes)",
		               v.len);
	t->ncodes = v.len;
	for (uint32_t i = 0; i < v.len; i++) {
		lc_fb_table oc;
		int8_t dep;
		int32_t builtin, version;
		tfl_code *c = &t->codes[i];
		WHERE(t, "operator code %u", i);
		if (!lc_fb_vec_table(fb, &v, i, &oc) || !lc_fb_i8(fb, &oc, OC_DEPRECATED_CODE, 0, &dep) ||
		    lc_fb_string(fb, &oc, OC_CUSTOM_CODE, &c->custom, &c->custom_len) < 0 ||
		    !lc_fb_i32(fb, &oc, OC_VERSION, 1, &version) ||
		    !lc_fb_i32(fb, &oc, OC_BUILTIN_CODE, 0, &builtin))
			return fb_error(t);
		/* TFLite's GetBuiltinCode(): the larger of the two fields (old files
		 * set only the byte, new ones both, codes >= 127 only the int). */
		c->code = builtin > dep ? builtin : dep;
		c->version = version;
		if (c->code < 0)
			return malformed(t, oc.pos, "negative builtin code %d", (int)c->code);
		if (c->code == OP_CUSTOM) {
			if (!c->custom)
				return malformed(t, oc.pos,
				                 "CUSTOM operator code without a custom_code name");
			if (c->custom_len > 4 && memcmp(c->custom, "Flex", 4) == 0) {
				c->kind = 2;
				c->op = lc_graph_strn(t->g, c->custom + 4, c->custom_len - 4);
				c->domain = "flex";
			} else {
				c->kind = 1;
				c->op = lc_graph_strn(t->g, c->custom, c->custom_len);
				c->domain = "custom";
			}
		} else if ((size_t)c->code < NBUILTIN && c->code != OP_PLACEHOLDER) {
			c->op = builtin_names[c->code];
			c->domain = "";
		} else {
			char name[32];
			snprintf(name, sizeof name, "BUILTIN_%d", (int)c->code);
			c->op = lc_graph_str(t->g, name);
			c->domain = "";
		}
	}
	return LC_OK;
}

/* Scans a metadata buffer's bytes as a member (TFLite metadata is opaque
 * bytes a tool may deserialize: the content decides what it is). */
static lc_err read_metadata(tfl *t, const lc_fb_table *model)
{
	lc_fb *fb = &t->fb;
	lc_fb_vec v;
	WHERE(t, "metadata_buffer");
	int r = lc_fb_vector(fb, model, M_METADATA_BUFFER, 4, &v);
	if (r < 0)
		return fb_error(t);
	for (uint32_t i = 0; r > 0 && i < v.len; i++) {
		int32_t b = lc_fb_vec_i32(fb, &v, i);
		if (b < 0 || (uint32_t)b >= t->nbufs)
			return malformed(t, v.pos + 4ull * i,
			                 "entry %u: buffer index %d out of range (%u buffers)", i, (int)b,
			                 t->nbufs);
	}
	WHERE(t, "metadata");
	r = lc_fb_vector(fb, model, M_METADATA, 4, &v);
	if (r < 0)
		return fb_error(t);
	for (uint32_t i = 0; r > 0 && i < v.len; i++) {
		lc_fb_table md;
		const char *name;
		size_t nlen;
		uint32_t b;
		WHERE(t, "metadata %u", i);
		if (!lc_fb_vec_table(fb, &v, i, &md) || lc_fb_string(fb, &md, MD_NAME, &name, &nlen) < 0 ||
		    !lc_fb_u32(fb, &md, MD_BUFFER, 0, &b))
			return fb_error(t);
		if (b >= t->nbufs)
			return malformed(t, md.pos, "buffer index %u out of range (%u buffers)", b, t->nbufs);
		if (name && nlen == 15 && memcmp(name, "TFLITE_METADATA", 15) == 0)
			t->has_tflite_metadata = 1;
		if (!t->bufs[b].len)
			continue;
		char member[96];
		safe_name(name, nlen, "metadata/", member, sizeof member);
		lc_err err = lc_scan_child(t->ctx, member, t->bufs[b].data, (size_t)t->bufs[b].len,
		                           (uint64_t)(t->bufs[b].data - t->d));
		if (err == LC_E_LIMIT || err == LC_E_NOMEM)
			return err;
	}
	return LC_OK;
}

/* ---- subgraphs ----------------------------------------------------------------- */

/* Shape from a vector of int32 (rank above LC_MAX_DIMS: unknown rank). */
static void read_shape(const lc_fb *fb, const lc_fb_vec *v, lc_shape *sh)
{
	if (v->len > LC_MAX_DIMS) {
		sh->rank = -1;
		return;
	}
	sh->rank = (int)v->len;
	for (uint32_t i = 0; i < v->len; i++)
		sh->dims[i] = lc_fb_vec_i32(fb, v, i);
}

/* Element count of a static shape, 0 when unknown or overflowing. */
static uint64_t shape_elems(const lc_shape *sh)
{
	if (sh->rank < 0)
		return 0;
	uint64_t n = 1;
	for (int i = 0; i < sh->rank; i++) {
		if (sh->dims[i] < 0)
			return 0;
		uint64_t d = (uint64_t)sh->dims[i];
		if (d && n > UINT64_MAX / d)
			return 0;
		n *= d;
	}
	return n;
}

static lc_err read_tensors(tfl *t, uint32_t si, int sg, const lc_fb_table *sub)
{
	lc_fb *fb = &t->fb;
	lc_graph *g = t->g;
	lc_fb_vec v;
	WHERE(t, "subgraph %u tensors", si);
	int r = lc_fb_vector(fb, sub, SG_TENSORS, 4, &v);
	if (r < 0)
		return fb_error(t);
	if (r == 0 || v.len == 0)
		return LC_OK;
	tfl_tensor *tt = lc_graph_alloc(g, (size_t)v.len * sizeof *tt);
	if (!tt)
		return fb_or_graph(t);
	t->tensors[si] = tt;
	t->ntensors[si] = v.len;
	nset names = {0};
	lc_err err = LC_OK;
	for (uint32_t i = 0; i < v.len && err == LC_OK; i++) {
		lc_fb_table te, q;
		lc_fb_vec shape, sig, qv;
		int8_t type;
		uint32_t buffer;
		uint8_t is_var, has_rank;
		const char *name;
		size_t nlen;
		WHERE(t, "subgraph %u tensor %u", si, i);
		if (!lc_fb_vec_table(fb, &v, i, &te) || lc_fb_vector(fb, &te, T_SHAPE, 4, &shape) < 0 ||
		    !lc_fb_i8(fb, &te, T_TYPE, 0, &type) || !lc_fb_u32(fb, &te, T_BUFFER, 0, &buffer) ||
		    lc_fb_string(fb, &te, T_NAME, &name, &nlen) < 0 ||
		    !lc_fb_u8(fb, &te, T_IS_VARIABLE, 0, &is_var) ||
		    lc_fb_vector(fb, &te, T_SHAPE_SIGNATURE, 4, &sig) < 0 ||
		    !lc_fb_u8(fb, &te, T_HAS_RANK, 0, &has_rank)) {
			err = fb_error(t);
			break;
		}
		/* Quantization parameters: validated (a loader reads them), not kept. */
		r = lc_fb_subtable(fb, &te, T_QUANT, &q);
		if (r < 0 || (r > 0 && (lc_fb_vector(fb, &q, Q_SCALE, 4, &qv) < 0 ||
		                        lc_fb_vector(fb, &q, Q_ZERO_POINT, 8, &qv) < 0 ||
		                        lc_fb_vector(fb, &q, Q_MIN, 4, &qv) < 0 ||
		                        lc_fb_vector(fb, &q, Q_MAX, 4, &qv) < 0))) {
			err = fb_error(t);
			break;
		}
		if (buffer >= t->nbufs && !(buffer == 0 && t->nbufs == 0)) {
			err = malformed(t, te.pos, "buffer index %u out of range (%u buffers)", buffer,
			                t->nbufs);
			break;
		}
		tfl_tensor *x = &tt[i];
		x->dtype = map_dtype(type);
		read_shape(fb, &shape, &x->shape);
		/* shape_signature marks dynamic dimensions with -1 */
		if (sig.len && sig.len == shape.len && x->shape.rank >= 0)
			for (uint32_t k = 0; k < sig.len; k++)
				if (lc_fb_vec_i32(fb, &sig, k) < 0)
					x->shape.dims[k] = -1;
		/* A unique name: the tensor's own, else "t<index>"; a duplicate gets
		 * "#<index>" appended (edges are by name in the graph model). */
		char alt[96];
		const char *use = name;
		size_t ulen = nlen;
		if (!name || !nlen) {
			snprintf(alt, sizeof alt, "t%u", i);
			use = alt;
			ulen = strlen(alt);
		}
		const char *stored = lc_graph_strn(g, use, ulen);
		int ins = nset_add(&names, stored, ulen);
		for (unsigned k = 0; ins == 0; k++) {
			if (k == 0)
				snprintf(alt, sizeof alt, "%.*s#%u", (int)(ulen > 64 ? 64 : ulen), use, i);
			else
				snprintf(alt, sizeof alt, "t%u#%u", i, k);
			ulen = strlen(alt);
			stored = lc_graph_strn(g, alt, ulen);
			ins = nset_add(&names, stored, ulen);
		}
		if (ins < 0 || g->failed) {
			err = fb_or_graph(t);
			break;
		}
		x->name = stored;
		x->name_len = ulen;
		/* Constant tensors: their buffer holds the values. */
		tfl_buf *b = buffer < t->nbufs ? &t->bufs[buffer] : NULL;
		if (buffer > 0 && b && b->len) {
			lc_value_info *vi = lc_graph_add_init(g, sg, x->name, x->name_len);
			lc_tensor *ct = lc_graph_alloc(g, sizeof *ct);
			if (!vi || !ct) {
				err = fb_or_graph(t);
				break;
			}
			ct->dtype = x->dtype;
			ct->shape = x->shape;
			ct->data = b->data;
			ct->data_len = (size_t)b->len;
			vi->dtype = x->dtype;
			vi->shape = x->shape;
			vi->init = ct;
			g->params += shape_elems(&x->shape);
			if (!b->counted) {
				g->param_bytes += b->len;
				b->counted = 1;
			}
		}
		/* is_variable and has_rank are read only to check their bounds: the
		 * graph model has no flag for variables, and an empty shape stays a
		 * scalar (old converters never set has_rank). */
		(void)is_var;
		(void)has_rank;
	}
	free(names.slot);
	return err;
}

/* Graph inputs or outputs: tensor indices. */
static lc_err read_io(tfl *t, uint32_t si, int sg, const lc_fb_table *sub, int output)
{
	lc_fb *fb = &t->fb;
	lc_fb_vec v;
	WHERE(t, "subgraph %u %s", si, output ? "outputs" : "inputs");
	int r = lc_fb_vector(fb, sub, output ? SG_OUTPUTS : SG_INPUTS, 4, &v);
	if (r < 0)
		return fb_error(t);
	for (uint32_t i = 0; r > 0 && i < v.len; i++) {
		int32_t x = lc_fb_vec_i32(fb, &v, i);
		if (x < 0 || (uint32_t)x >= t->ntensors[si])
			return malformed(t, v.pos + 4ull * i, "tensor index %d out of range (%u tensors)",
			                 (int)x, t->ntensors[si]);
		const tfl_tensor *te = &t->tensors[si][x];
		lc_value_info *vi = output ? lc_graph_add_output(t->g, sg, te->name, te->name_len)
		                           : lc_graph_add_input(t->g, sg, te->name, te->name_len);
		if (!vi)
			return fb_or_graph(t);
		vi->dtype = te->dtype;
		vi->shape = te->shape;
	}
	return LC_OK;
}

/* Operator tensor lists (-1 = an omitted optional tensor, kept as ""). */
static lc_err op_tensors(tfl *t, uint32_t si, int sg, int node, const lc_fb_vec *v, int output)
{
	for (uint32_t i = 0; i < v->len; i++) {
		int32_t x = lc_fb_vec_i32(&t->fb, v, i);
		const char *name = "";
		size_t len = 0;
		if (x >= 0 && (uint32_t)x < t->ntensors[si]) {
			name = t->tensors[si][x].name;
			len = t->tensors[si][x].name_len;
		} else if (x != -1) {
			return malformed(t, v->pos + 4ull * i,
			                 "%s %u: tensor index %d out of range (%u tensors)",
			                 output ? "output" : "input", i, (int)x, t->ntensors[si]);
		}
		int rc = output ? lc_graph_node_output(t->g, sg, node, name, len)
		                : lc_graph_node_input(t->g, sg, node, name, len);
		if (rc < 0)
			return fb_or_graph(t);
	}
	return LC_OK;
}

/* A subgraph index held by an option table, as a graph attribute. */
static lc_err graph_attr(tfl *t, int sg, int node, const lc_fb_table *opt, unsigned field, const char *name)
{
	int32_t idx;
	if (!lc_fb_has(&t->fb, opt, field))
		return LC_OK;
	if (!lc_fb_i32(&t->fb, opt, field, 0, &idx))
		return fb_error(t);
	if (idx < 0 || (uint32_t)idx >= t->nsubs)
		return malformed(t, opt->pos, "%s %d out of range (%u subgraphs)", name, (int)idx, t->nsubs);
	lc_attr *a = lc_graph_node_attr(t->g, sg, node, name, strlen(name));
	if (!a)
		return fb_or_graph(t);
	a->kind = LC_ATTR_GRAPH;
	a->sub = idx;
	a->i = idx;
	return LC_OK;
}

static lc_err string_attr(tfl *t, int sg, int node, const char *name, const char *s, size_t len)
{
	lc_attr *a = lc_graph_node_attr(t->g, sg, node, name, strlen(name));
	if (!a)
		return fb_or_graph(t);
	a->kind = LC_ATTR_STRING;
	a->s = lc_graph_strn(t->g, s, len);
	a->slen = len;
	return LC_OK;
}

/* builtin_options / builtin_options_2: the option table's type name, and
 * the subgraphs that control-flow and StableHLO ops run. */
static lc_err read_options(tfl *t, int sg, int node, const lc_fb_table *op)
{
	lc_fb *fb = &t->fb;
	lc_fb_table opt;
	uint8_t type;
	lc_err err = LC_OK;
	int r = lc_fb_union(fb, op, OP_OPTIONS_TYPE, &type, &opt);
	if (r < 0)
		return fb_error(t);
	if (type) {
		char tmp[32];
		const char *nm = type < NOPTIONS ? options_names[type]
		                                 : (snprintf(tmp, sizeof tmp, "BuiltinOptions%u", type), tmp);
		if ((err = string_attr(t, sg, node, "builtin_options", nm, strlen(nm))) != LC_OK)
			return err;
	}
	if (r > 0) {
		switch (type) {
		case OPT_IF:
			if ((err = graph_attr(t, sg, node, &opt, 0, "then_subgraph_index")) == LC_OK)
				err = graph_attr(t, sg, node, &opt, 1, "else_subgraph_index");
			break;
		case OPT_WHILE:
			if ((err = graph_attr(t, sg, node, &opt, 0, "cond_subgraph_index")) == LC_OK)
				err = graph_attr(t, sg, node, &opt, 1, "body_subgraph_index");
			break;
		case OPT_CALL_ONCE:
			err = graph_attr(t, sg, node, &opt, 0, "init_subgraph_index");
			break;
		case OPT_CALL:
			err = graph_attr(t, sg, node, &opt, 0, "subgraph");
			break;
		default:
			break;
		}
		if (err != LC_OK)
			return err;
	}
	r = lc_fb_union(fb, op, OP_OPTIONS2_TYPE, &type, &opt);
	if (r < 0)
		return fb_error(t);
	if (type) {
		char tmp[32];
		const char *nm = type < NOPTIONS2
		                         ? options2_names[type]
		                         : (snprintf(tmp, sizeof tmp, "BuiltinOptions2_%u", type), tmp);
		if ((err = string_attr(t, sg, node, "builtin_options_2", nm, strlen(nm))) != LC_OK)
			return err;
	}
	if (r == 0)
		return LC_OK;
	switch (type) {
	case OPT2_REDUCE:
		return graph_attr(t, sg, node, &opt, 1, "body_subgraph_index");
	case OPT2_SCATTER:
		return graph_attr(t, sg, node, &opt, 6, "update_computation_subgraph_index");
	case OPT2_REDUCE_WINDOW:
		return graph_attr(t, sg, node, &opt, 5, "body_subgraph_index");
	case OPT2_SORT:
		return graph_attr(t, sg, node, &opt, 2, "comparator_subgraph_index");
	case OPT2_WHILE:
		if ((err = graph_attr(t, sg, node, &opt, 0, "cond_subgraph_index")) != LC_OK)
			return err;
		return graph_attr(t, sg, node, &opt, 1, "body_subgraph_index");
	case OPT2_COMPOSITE: {
		const char *s;
		size_t len;
		if (lc_fb_string(fb, &opt, 0, &s, &len) < 0)
			return fb_error(t);
		if (s && (err = string_attr(t, sg, node, "name", s, len)) != LC_OK)
			return err;
		return graph_attr(t, sg, node, &opt, 1, "decomposition_subgraph_index");
	}
	case OPT2_CUSTOM_CALL: {
		const char *s;
		size_t len;
		lc_fb_vec calls;
		if (lc_fb_string(fb, &opt, 0, &s, &len) < 0 || lc_fb_vector(fb, &opt, 4, 4, &calls) < 0)
			return fb_error(t);
		if (s && (err = string_attr(t, sg, node, "call_target_name", s, len)) != LC_OK)
			return err;
		if (!calls.len)
			return LC_OK;
		int *subs = lc_graph_alloc(t->g, (size_t)calls.len * sizeof *subs);
		if (!subs)
			return fb_or_graph(t);
		for (uint32_t i = 0; i < calls.len; i++) {
			int32_t x = lc_fb_vec_i32(fb, &calls, i);
			if (x < 0 || (uint32_t)x >= t->nsubs)
				return malformed(t, opt.pos,
				                 "called_computations[%u] = %d out of range (%u subgraphs)",
				                 i, (int)x, t->nsubs);
			subs[i] = x;
		}
		lc_attr *a = lc_graph_node_attr(t->g, sg, node, "called_computations", 19);
		if (!a)
			return fb_or_graph(t);
		a->kind = LC_ATTR_GRAPHS;
		a->subs = subs;
		a->n = calls.len;
		return LC_OK;
	}
	default:
		return LC_OK;
	}
}

/* Findings for operators whose kernels are not TFLite builtins. */
static void judge_op(tfl *t, const tfl_code *c, uint32_t si, uint64_t off)
{
	char esc[160];
	lc_ctx *ctx = t->ctx;
	if (c->kind == 1) {
		lc_escape((const uint8_t *)c->custom, c->custom_len, 100, esc, sizeof esc);
		if (benign_custom_op(c->custom, c->custom_len))
			lc_finding_add(
			        ctx, LC_SEV_INFO, "tflite.custom-op", off, c->op, esc,
			        "custom operator %s (kernel shipped with TFLite/TFLite Micro or a vendor NPU "
			        "toolchain; no code in the file)",
			        esc);
		else
			lc_finding_add(ctx, LC_SEV_MEDIUM, "tflite.custom-op", off, c->op, esc,
			               "custom operator %s: loading needs a kernel registered by a host "
			               "library under "
			               "that name (subgraph %u)",
			               esc, si);
		return;
	}
	if (c->kind == 2) {
		lc_severity sev;
		const char *why = flex_judge(c->op, &sev);
		lc_escape((const uint8_t *)c->custom, c->custom_len, 100, esc, sizeof esc);
		lc_finding_add(ctx, sev, "tflite.flex-op", off, c->op, esc,
		               "Flex operator %s runs TensorFlow's %s kernel through the Flex delegate: %s",
		               esc, c->op, why);
		return;
	}
	if ((size_t)c->code >= NBUILTIN || c->code == OP_PLACEHOLDER)
		lc_finding_add(ctx, LC_SEV_LOW, "tflite.unknown-builtin", off, c->op, NULL,
		               "builtin operator code %d is not in laocoon's schema (newer TFLite?)",
		               (int)c->code);
}

static lc_err read_operators(tfl *t, uint32_t si, int sg, const lc_fb_table *sub)
{
	lc_fb *fb = &t->fb;
	lc_fb_vec v;
	WHERE(t, "subgraph %u operators", si);
	int r = lc_fb_vector(fb, sub, SG_OPERATORS, 4, &v);
	if (r < 0)
		return fb_error(t);
	for (uint32_t i = 0; r > 0 && i < v.len; i++) {
		lc_fb_table op;
		lc_fb_vec ins, outs, inter, copts, mut;
		uint32_t opcode;
		uint64_t loff, lsize;
		WHERE(t, "subgraph %u operator %u", si, i);
		if (!lc_fb_vec_table(fb, &v, i, &op) || !lc_fb_u32(fb, &op, OP_OPCODE_INDEX, 0, &opcode) ||
		    lc_fb_vector(fb, &op, OP_INPUTS, 4, &ins) < 0 ||
		    lc_fb_vector(fb, &op, OP_OUTPUTS, 4, &outs) < 0 ||
		    lc_fb_vector(fb, &op, OP_CUSTOM_OPTIONS, 1, &copts) < 0 ||
		    lc_fb_vector(fb, &op, OP_MUTATING, 1, &mut) < 0 ||
		    lc_fb_vector(fb, &op, OP_INTERMEDIATES, 4, &inter) < 0 ||
		    !lc_fb_u64(fb, &op, OP_LARGE_CUSTOM_OFFSET, 0, &loff) ||
		    !lc_fb_u64(fb, &op, OP_LARGE_CUSTOM_SIZE, 0, &lsize))
			return fb_error(t);
		if (opcode >= t->ncodes)
			return malformed(t, op.pos, "opcode_index %u out of range (%u operator codes)",
			                 opcode, t->ncodes);
		const tfl_code *c = &t->codes[opcode];
		int node = lc_graph_add_node(t->g, sg, "", c->op, c->domain, op.pos);
		if (node < 0)
			return fb_or_graph(t);
		lc_err err = op_tensors(t, si, sg, node, &ins, 0);
		if (err == LC_OK)
			err = op_tensors(t, si, sg, node, &outs, 1);
		if (err != LC_OK)
			return err;
		for (uint32_t k = 0; k < inter.len; k++) {
			int32_t x = lc_fb_vec_i32(fb, &inter, k);
			if (x < 0 || (uint32_t)x >= t->ntensors[si])
				return malformed(t, inter.pos + 4ull * k,
				                 "intermediate %u: tensor index %d out of range (%u "
				                 "tensors)",
				                 k, (int)x, t->ntensors[si]);
		}
		if ((err = read_options(t, sg, node, &op)) != LC_OK)
			return err;
		/* Custom options: bytes for the kernel (flexbuffers, or a serialized
		 * NodeDef for Flex ops), kept by pointer. */
		const uint8_t *cdata = copts.len ? lc_fb_vec_data(fb, &copts) : NULL;
		uint64_t clen = copts.len;
		if (loff > 1) {
			if (loff > t->n || lsize > t->n - loff)
				return malformed(
				        t, op.pos,
				        "large custom options at offset %llu, %llu bytes, are outside the "
				        "file (%zu bytes)",
				        (unsigned long long)loff, (unsigned long long)lsize, t->n);
			cdata = t->d + loff;
			clen = lsize;
		}
		if (cdata && clen) {
			lc_attr *a = lc_graph_node_attr(t->g, sg, node, "custom_options", 14);
			lc_tensor *ct = lc_graph_alloc(t->g, sizeof *ct);
			if (!a || !ct)
				return fb_or_graph(t);
			ct->dtype = LC_DT_U8;
			ct->shape.rank = 1;
			ct->shape.dims[0] = (int64_t)clen;
			ct->data = cdata;
			ct->data_len = (size_t)clen;
			a->kind = LC_ATTR_TENSOR;
			a->tensor = ct;
		}
		if (c->version != 1) {
			lc_attr *a = lc_graph_node_attr(t->g, sg, node, "version", 7);
			if (!a)
				return fb_or_graph(t);
			a->kind = LC_ATTR_INT;
			a->i = c->version;
		}
		judge_op(t, c, si, op.pos);
	}
	return LC_OK;
}

static lc_err read_subgraphs(tfl *t, const lc_fb_table *model)
{
	lc_fb *fb = &t->fb;
	lc_fb_vec v;
	WHERE(t, "subgraphs");
	int r = lc_fb_vector(fb, model, M_SUBGRAPHS, 4, &v);
	if (r < 0)
		return fb_error(t);
	if (r == 0 || v.len == 0)
		return malformed(t, model->pos, "the model has no subgraph");
	t->nsubs = v.len;
	t->tensors = calloc(v.len, sizeof *t->tensors);
	t->ntensors = calloc(v.len, sizeof *t->ntensors);
	if (!t->tensors || !t->ntensors)
		return lc_fail(t->ctx, LC_E_NOMEM, LC_NO_OFFSET, "tflite: out of memory (%u subgraphs)",
		               v.len);
	for (uint32_t i = 0; i < v.len; i++) {
		lc_fb_table sub;
		const char *name;
		size_t nlen;
		WHERE(t, "subgraph %u", i);
		if (!lc_fb_vec_table(fb, &v, i, &sub) || lc_fb_string(fb, &sub, SG_NAME, &name, &nlen) < 0)
			return fb_error(t);
		char fallback[32];
		if (!name || !nlen)
			snprintf(fallback, sizeof fallback, i ? "subgraph_%u" : "main", i);
		const char *nm = name && nlen ? lc_graph_strn(t->g, name, nlen) : fallback;
		int sg = lc_graph_add_subgraph(t->g, nm, i ? LC_SG_OTHER : LC_SG_MAIN, -1, -1);
		if (sg < 0)
			return fb_or_graph(t);
		lc_err err = read_tensors(t, i, sg, &sub);
		if (err == LC_OK)
			err = read_io(t, i, sg, &sub, 0);
		if (err == LC_OK)
			err = read_io(t, i, sg, &sub, 1);
		if (err == LC_OK)
			err = read_operators(t, i, sg, &sub);
		if (err != LC_OK)
			return err;
	}
	return LC_OK;
}

static lc_err read_signatures(tfl *t, const lc_fb_table *model)
{
	lc_fb *fb = &t->fb;
	lc_fb_vec v;
	WHERE(t, "signature_defs");
	int r = lc_fb_vector(fb, model, M_SIGNATURES, 4, &v);
	if (r < 0)
		return fb_error(t);
	for (uint32_t i = 0; r > 0 && i < v.len; i++) {
		lc_fb_table sd;
		lc_fb_vec io[2];
		const char *key;
		size_t klen;
		uint32_t si;
		WHERE(t, "signature %u", i);
		if (!lc_fb_vec_table(fb, &v, i, &sd) || lc_fb_vector(fb, &sd, SD_INPUTS, 4, &io[0]) < 0 ||
		    lc_fb_vector(fb, &sd, SD_OUTPUTS, 4, &io[1]) < 0 ||
		    lc_fb_string(fb, &sd, SD_KEY, &key, &klen) < 0 ||
		    !lc_fb_u32(fb, &sd, SD_SUBGRAPH_INDEX, 0, &si))
			return fb_error(t);
		if (si >= t->nsubs)
			return malformed(t, sd.pos, "subgraph_index %u out of range (%u subgraphs)", si,
			                 t->nsubs);
		lc_signature *s =
		        lc_graph_add_signature(t->g, key ? lc_graph_strn(t->g, key, klen) : "", (int)si);
		if (!s)
			return fb_or_graph(t);
		for (int out = 0; out < 2; out++)
			for (uint32_t k = 0; k < io[out].len; k++) {
				lc_fb_table tm;
				const char *alias;
				size_t alen;
				uint32_t ti;
				if (!lc_fb_vec_table(fb, &io[out], k, &tm) ||
				    lc_fb_string(fb, &tm, TM_NAME, &alias, &alen) < 0 ||
				    !lc_fb_u32(fb, &tm, TM_TENSOR_INDEX, 0, &ti))
					return fb_error(t);
				if (ti >= t->ntensors[si])
					return malformed(t, tm.pos,
					                 "%s %u: tensor_index %u out of range (%u tensors in "
					                 "subgraph %u)",
					                 out ? "output" : "input", k, ti, t->ntensors[si],
					                 si);
				const tfl_tensor *te = &t->tensors[si][ti];
				if (lc_graph_signature_io(t->g, s, out, te->name, te->name_len) < 0)
					return fb_or_graph(t);
			}
	}
	return LC_OK;
}

/* TFLite metadata's associated files are a zip archive written after the
 * flatbuffer.  Only the archive's own bytes are handed to the zip reader
 * (from its first local header, computed from the end record as zip readers
 * do): the whole view would make the zip reader scan the flatbuffer as
 * prepended data, which is this model again. */
static lc_err scan_appended_zip(tfl *t)
{
	const uint8_t *d = t->d;
	size_t n = t->n;
	if (n < 22)
		return LC_OK;
	size_t lo = n - 22 > 65535 ? n - 22 - 65535 : 0;
	for (size_t p = n - 22 + 1; p-- > lo;) {
		if (lc_le32(d + p) != 0x06054b50u)
			continue;
		uint64_t cd_size = lc_le32(d + p + 12), cd_off = lc_le32(d + p + 16);
		if (cd_off == 0xFFFFFFFFu || cd_size == 0xFFFFFFFFu || cd_size + cd_off > p)
			break;
		uint64_t start = p - cd_size - cd_off;
		if (start + 4 > n || lc_le32(d + start) != 0x04034b50u)
			break;
		/* A zip starting at byte 0 is not appended: the engine parses it
		 * (the zip reader outbids this one there); handing the same view
		 * back would recurse. */
		if (start == 0)
			return LC_OK;
		lc_finding_add(
		        t->ctx, LC_SEV_INFO, "tflite.associated-files", start, NULL, NULL,
		        "a zip archive of %llu bytes follows the flatbuffer (%s); its members are scanned",
		        (unsigned long long)(n - start),
		        t->has_tflite_metadata ? "TFLite metadata associated files"
		                               : "no TFLITE_METADATA entry");
		return lc_scan_child_as(t->ctx, "associated-files.zip", "zip", d + start, n - (size_t)start,
		                        start);
	}
	return lc_fail(t->ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET,
	               "tflite: the file ends with a zip archive whose start cannot be located (zip64 or "
	               "damaged end "
	               "record)");
}

/* ---- parse --------------------------------------------------------------------- */

static lc_err parse(tfl *t)
{
	lc_fb *fb = &t->fb;
	lc_fb_table model;
	uint32_t version;
	const char *desc;
	size_t dlen;
	WHERE(t, "model");
	if (!lc_fb_root(fb, &model) || !lc_fb_u32(fb, &model, M_VERSION, 0, &version) ||
	    lc_fb_string(fb, &model, M_DESCRIPTION, &desc, &dlen) < 0)
		return fb_error(t);
	/* TFLite's InterpreterBuilder refuses any other schema version. */
	if (version != 3)
		return lc_fail(t->ctx, LC_E_UNSUPPORTED, model.pos,
		               "tflite: schema version %u (TFLite only loads version 3)", version);
	if (desc)
		t->g->producer = lc_graph_strn(t->g, desc, dlen);
	lc_graph_add_opset(t->g, "tflite", version);
	lc_err err = read_buffers(t, &model);
	if (err == LC_OK)
		err = read_codes(t, &model);
	if (err == LC_OK)
		err = read_subgraphs(t, &model);
	if (err == LC_OK)
		err = read_signatures(t, &model);
	if (err == LC_OK)
		err = read_metadata(t, &model);
	if (err == LC_OK && t->g->failed)
		err = fb_or_graph(t);
	return err;
}

lc_err lc_parse_tflite(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	tfl t;
	memset(&t, 0, sizeof t);
	t.ctx = ctx;
	t.d = data;
	t.n = len;
	if (ctx->depth == 0)
		lc_set_format(ctx, "tflite");
	lc_fb_init(&t.fb, data, len, lc_lim(ctx, LC_LIMIT_fb_max_tables),
	           (unsigned)lc_lim(ctx, LC_LIMIT_fb_max_depth));
	t.g = lc_graph_new(ctx, "tflite");
	if (!t.g)
		return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "tflite: out of memory");
	lc_err err = parse(&t);
	free(t.codes);
	free(t.bufs);
	free(t.tensors);
	free(t.ntensors);
	/* Associated files: a zip archive appended after the flatbuffer. */
	if (err == LC_OK && lc_bid_zip(data, len) >= LC_BID_STRONG)
		err = scan_appended_zip(&t);
	if (err != LC_OK)
		t.g->failed = 1; /* incomplete: no graph analyses on a partial graph */
	lc_graph_done(ctx, t.g);
	return err;
}
