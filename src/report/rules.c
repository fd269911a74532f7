/*
 * Rule metadata: what each finding id means, for the SARIF rules[] array
 * (and docs).  The readers own the ids; this table only describes them.  An id
 * missing here still produces a valid SARIF rule with a generic description,
 * so adding a rule to a reader never breaks a report; add a row here to give
 * it a proper description.
 */
#include <string.h>

#include "report/report_util.h"

/* The strings are wrapped by hand, one readable line each. */
// clang-format off
static const lc_rule_info rules[] = {
	/* ---- pickle ---- */
	{"pickle.callable.dangerous",
	 "The pickle calls a dangerous callable when it is loaded.",
	 "The pickle stream invokes (REDUCE, NEWOBJ, INST, OBJ or BUILD) a callable on laocoon's deny "
	 "list, such as os.system, subprocess.Popen, builtins.eval/exec or runpy functions. Unpickling "
	 "the file runs that call with attacker-chosen arguments: this is arbitrary code execution.",
	 "Do not load this file with pickle, torch.load (without weights_only=True), joblib or any "
	 "other pickle-based loader. Treat it as malware; obtain the model from a trusted source or in "
	 "a format without code (e.g. safetensors).",
	 "502"},
	{"pickle.import.dangerous",
	 "The pickle imports a dangerous callable.",
	 "The pickle stream resolves (GLOBAL, STACK_GLOBAL, INST) a dangerous callable such as "
	 "os.system or builtins.eval, even if no direct call to it was seen. A reference to such an "
	 "object can be invoked later through another callable, a __reduce__ of a surrounding object "
	 "or a __setstate__.",
	 "Do not load this file with a pickle-based loader. Inspect the evidence: a legitimate model "
	 "has no reason to reference process, shell or code-evaluation functions.",
	 "502"},
	{"pickle.callable.unknown",
	 "The pickle calls a callable that is neither known safe nor known dangerous.",
	 "The pickle stream invokes a callable outside laocoon's allow list of objects that model "
	 "checkpoints legitimately reconstruct (tensors, storages, collections, numpy arrays ...). "
	 "Whether it is harmful depends on what the callable does; arbitrary third-party callables can "
	 "have side effects.",
	 "Review the callable named in the evidence. If it is part of a library you trust, loading may "
	 "be safe in an environment where that library is installed; otherwise do not load the file.",
	 "502"},
	{"pickle.callable.unresolved",
	 "The pickle calls something whose identity cannot be determined statically.",
	 "The callable of a call site is not a plain imported global: it was computed (e.g. the result "
	 "of another call, an attribute lookup or a value from the memo that laocoon cannot resolve). "
	 "Obfuscated payloads use this to hide what they call.",
	 "Treat the file as untrusted. Legitimate checkpoints call imported globals directly.",
	 "502"},
	{"pickle.module.overwrite",
	 "The pickle modifies the state of an imported module.",
	 "The pickle stream applies BUILD/__setstate__ or attribute assignment to a module or a class "
	 "object. This can replace functions of already-imported modules, so that later, "
	 "innocent-looking code runs attacker-chosen behaviour.",
	 "Do not load this file. Model checkpoints never need to change modules or classes.",
	 "502"},
	{"pickle.nested-loader",
	 "The pickle calls a deserializer on embedded data.",
	 "The pickle stream passes bytes to a loader such as pickle.loads, torch.load, numpy.load, "
	 "marshal.loads or a similar function: a second payload is unpacked at load time. laocoon "
	 "scans the embedded bytes as well and reports their findings under the same file.",
	 "Treat the file as untrusted and review the findings of the embedded payload.",
	 "502"},
	{"pickle.class.unknown",
	 "The pickle instantiates a class that is not on the allow list.",
	 "The pickle stream creates an instance of a class (NEWOBJ, OBJ, INST) that laocoon does not "
	 "know as part of ordinary model checkpoints. Instantiation runs __new__/__init__/__setstate__ "
	 "of that class.",
	 "Review the class named in the evidence; load the file only if you trust the library that "
	 "defines it.",
	 "502"},
	{"pickle.import.unknown",
	 "The pickle imports a global that is not on the allow list.",
	 "The pickle stream imports a module attribute that laocoon does not know as part of ordinary "
	 "model checkpoints. Importing alone runs the module's top-level code if it is not yet "
	 "imported.",
	 "Review the global named in the evidence; load the file only if you trust the module that "
	 "defines it.",
	 "502"},
	{"pickle.trailing-data",
	 "Bytes follow the end of the pickle data.",
	 "After the last STOP opcode the file carries data that a pickle loader ignores. Such bytes "
	 "can hide a second payload, or make the file readable as another format (a polyglot).",
	 "Check where the file came from; legitimate writers do not append data after a pickle.",
	 NULL},
	{"pickle.ext-code",
	 "The pickle uses the copyreg extension registry.",
	 "The pickle stream uses EXT1/EXT2/EXT4 opcodes, which name an object by a number registered "
	 "in the loading process's copyreg extension table. What is loaded depends on that process, "
	 "not on the file, so the object cannot be verified statically.",
	 "Treat the file as untrusted; model writers do not use extension codes.",
	 "502"},
	{"pickle.code-object",
	 "The pickle builds a Python code object.",
	 "The pickle stream constructs a code or function object (types.CodeType, types.FunctionType, "
	 "marshal.loads of bytecode ...). Loading yields executable bytecode chosen by the file's "
	 "author.",
	 "Do not load this file: it carries executable Python bytecode.",
	 "502"},
	/* ---- zip ---- */
	{"zip.crc-mismatch",
	 "A zip member's CRC-32 does not match its data.",
	 "The checksum recorded for a member differs from the checksum of its decompressed data. The "
	 "archive was modified after it was written, or crafted so that tools that check CRCs and "
	 "tools that do not see different content.",
	 "Obtain the file again from a trusted source; do not load a tampered archive.",
	 "345"},
	{"zip.encryption-flag",
	 "A zip member is marked as encrypted or patched.",
	 "A member has general-purpose flag bits for encryption (traditional, strong) or patch data "
	 "set. PyTorch ignores these bits and loads the member as plaintext, while scanners and "
	 "archive tools that honour them skip the member: a way to hide a payload from inspection. "
	 "Model writers never set them.",
	 "Treat the archive as crafted; laocoon inspects such members anyway when they read as "
	 "plaintext.",
	 "436"},
	{"zip.header-mismatch",
	 "A zip member's local header and central directory disagree.",
	 "The local file header and the central directory entry of a member declare different "
	 "compression methods or encryption flags. Readers that use one or the other decode different "
	 "data.",
	 "Treat the archive as crafted; do not load it.",
	 "436"},
	{"zip.size-mismatch",
	 "A zip member's size differs from the size its directory entry declares.",
	 "A member inflates to a different number of bytes than the central directory declares, or a "
	 "stored member's compressed and uncompressed sizes differ. Readers that trust the declared "
	 "size read different data than readers that follow the stream.",
	 "Treat the archive as crafted or corrupted; obtain it again from a trusted source.",
	 "436"},
	{"zip.hidden-member",
	 "The zip archive holds a member that its central directory does not list.",
	 "A local file header exists that no central directory entry refers to. Streaming extractors "
	 "read it, PyTorch and Python's zipfile do not: content visible to one tool and invisible to "
	 "another. laocoon scans it as <hidden>/name.",
	 "Treat the archive as crafted; review the findings of the hidden member.",
	 "436"},
	{"zip.eocd-comment",
	 "The zip end record's comment length does not match the file.",
	 "The end-of-central-directory record declares a comment that is longer or shorter than the "
	 "bytes that follow it. Readers disagree on where the archive ends.",
	 "Obtain the file again from a trusted source; writers produce consistent comment lengths.",
	 "436"},
	{"zip.eocd-ambiguous",
	 "The zip archive has more than one plausible end-of-central-directory record.",
	 "A second end record is hidden, e.g. inside the archive comment. Readers that search "
	 "backwards from the end and readers that take the first match use different central "
	 "directories, and so see different members.",
	 "Treat the archive as crafted; do not load it.",
	 "436"},
	{"zip.name-mismatch",
	 "A zip member's local header and central directory disagree on its name.",
	 "The name in the local file header differs from the name in the central directory. Streaming "
	 "readers (which use local headers) and ordinary readers (which use the central directory) "
	 "then see different files: a classic way to hide a payload from a scanner.",
	 "Treat the archive as crafted; do not load it.",
	 "436"},
	{"zip.duplicate-name",
	 "Two zip members have the same name.",
	 "The central directory lists the same name more than once. Readers disagree on which copy "
	 "wins (Python's zipfile takes the last one), so a scanner and a loader may read different "
	 "data.",
	 "Treat the archive as crafted; legitimate writers never repeat a name.",
	 "436"},
	{"zip.overlap",
	 "Zip members overlap each other.",
	 "The data of two members, or of a member and the central directory, share bytes. Overlapping "
	 "members are the building block of non-recursive zip bombs and of parser-confusion attacks.",
	 "Do not extract or load the archive.",
	 "409"},
	{"zip.prepended-data",
	 "Data precedes the first zip member.",
	 "The archive starts with bytes that belong to no member. Zip readers locate members from the "
	 "end of the file and ignore such a prefix, which can hold another format's content (a "
	 "polyglot).",
	 "Check what the prefix contains (see other findings of this file); model writers do not "
	 "prepend data.",
	 "436"},
	{"zip.appended-data",
	 "Data follows the end of the zip archive.",
	 "Bytes follow the end-of-central-directory record. Zip readers ignore them; they can carry a "
	 "hidden payload or make the file valid as a second format.",
	 "Check what the suffix contains; model writers do not append data.",
	 "436"},
	{"zip.unreferenced-data",
	 "The zip archive contains bytes no member refers to.",
	 "There are gaps between members that the central directory does not describe, for example a "
	 "member removed from the directory but left in the file. Such data is invisible to ordinary "
	 "readers but not to streaming ones.",
	 "Treat the archive as crafted; do not load it.",
	 "436"},
	{"zip.path-traversal",
	 "A zip member name escapes the extraction directory.",
	 "A member name is absolute, contains '..' components or a drive letter. Extracting the "
	 "archive with a naive tool writes outside the target directory (Zip Slip).",
	 "Do not extract the archive; legitimate model archives use relative names.",
	 "22"},
	/* ---- other archives (tar, 7z ... through libarchive) ---- */
	{"archive.path-traversal",
	 "An archive member name escapes the extraction directory.",
	 "A member of a tar, 7z or similar archive has an absolute name or '..' components. Extracting "
	 "it with a naive tool writes outside the target directory.",
	 "Do not extract the archive; legitimate model archives use relative names.",
	 "22"},
	{"archive.link-traversal",
	 "An archive link points outside the extraction directory.",
	 "A symbolic or hard link member targets an absolute path or a path with '..' components. "
	 "Extracting the archive creates a link through which later members or loaders reach files "
	 "outside the target directory.",
	 "Do not extract the archive; model archives do not need links that leave their directory.",
	 "59"},
	/* ---- torch ---- */
	{"torchscript.code",
	 "The file is a TorchScript archive that contains code.",
	 "The archive carries TorchScript source (code/ entries). torch.jit.load compiles and runs "
	 "that code, which can call operators with side effects such as file access. It is a program, "
	 "not only weights.",
	 "Load TorchScript only from trusted sources; prefer a weights-only format for untrusted "
	 "models.",
	 "94"},
	{"torch.legacy-layout",
	 "The file uses the legacy (pre-1.6) torch.save layout.",
	 "The file is a legacy torch.save stream: several concatenated pickles followed by raw "
	 "storages. It is loaded entirely through pickle, so torch.load's weights_only protections are "
	 "the only safeguard.",
	 "Prefer re-saving trusted models in the current zip layout or in safetensors.",
	 NULL},
	/* ---- format / file system ---- */
	{"format.polyglot",
	 "The file is valid as more than one format.",
	 "More than one reader recognised the same bytes with a strong signature. Different tools will "
	 "interpret the file differently; a scanner may inspect one view while a loader uses another.",
	 "Check which formats were recognised (evidence) and treat the file as crafted.",
	 "436"},
	{"fs.symlink",
	 "A scanned path is a symbolic link.",
	 "A symbolic link was met while scanning. What it points to can change between the scan and "
	 "the load of the model.",
	 "Scan the link's target directly and load the model from the same, resolved path.",
	 "59"},
	{"fs.symlink-escape",
	 "A symbolic link points outside the scanned tree.",
	 "A symbolic link inside the scanned directory resolves to a location outside of it. A model "
	 "repository that links elsewhere can make a loader read files the scan did not cover.",
	 "Remove the link or scan its target as well.",
	 "59"},
	/* ---- limits ---- */
	/* ---- model repositories: configs, code beside the weights ---- */
	{"repo.remote-code",
	 "Loading the model runs Python code from a repository (trust_remote_code).",
	 "A configuration file names Python code that the loader imports: auto_map entries of a "
	 "Hugging Face config.json or tokenizer_config.json, custom_pipelines, a sentence-transformers "
	 "modules.json type, or a Hydra target instantiated with trust_remote_code=True. With "
	 "trust_remote_code=True that module is imported and runs with the user's privileges; an entry "
	 "of the form repo--module.Class fetches the code from another repository, which can change "
	 "after the scan.",
	 "Load the model without trust_remote_code, or read every referenced .py file (and pin the "
	 "revision) before enabling it.",
	 "94"},
	{"config.target.dangerous",
	 "A Hydra/NeMo config instantiates a dangerous callable.",
	 "A _target_ key names a callable on laocoon's deny list (os.system, subprocess.*, "
	 "builtins.eval/exec, torch.load, ...). hydra.utils.instantiate() imports it and calls it with "
	 "the other keys and _args_ as arguments: loading the config runs that call.",
	 "Do not instantiate this config. Treat the repository as malicious.",
	 "94"},
	{"config.target.unknown",
	 "A Hydra/NeMo config instantiates a callable outside the known constructors.",
	 "A _target_ key names a callable that is neither on the deny list nor under a library of model, "
	 "optimizer, scheduler, transform or data constructors (torch.nn, torch.optim, transformers, "
	 "nemo.collections, lightning ...). instantiate() imports its module (running its top-level code) "
	 "and calls it.",
	 "Check the target in the evidence: instantiate the config only if it names code you trust.",
	 "94"},
	{"config.yaml.python-tag",
	 "A YAML file carries Python object tags.",
	 "Tags such as !!python/object/apply:, !!python/object/new:, !!python/name: and !!python/module: "
	 "make an unsafe YAML loader (yaml.load with yaml.Loader or yaml.UnsafeLoader, or old PyYAML "
	 "defaults) import modules and call functions while parsing. yaml.safe_load refuses them.",
	 "Load YAML only with yaml.safe_load; treat a config with these tags as malicious.",
	 "502"},
	{"repo.native-code",
	 "A native library or executable is shipped with the model.",
	 "The file is an ELF, Mach-O or PE binary. Model weights never need one, but custom-op loaders "
	 "(torch.ops.load_library, tf.load_op_library) and trust_remote_code modules can load it, and "
	 "native code runs outside any Python-level sandbox. laocoon validates the header only.",
	 "Find out which code loads this binary and why; rebuild it from source you trust or remove it.",
	 "829"},
	{"repo.code-file",
	 "Python source or a shell script is shipped with the model.",
	 "Scripts in a model repository run when remote code is trusted or when a user follows the "
	 "repository's instructions. MEDIUM when a quick token scan sees process execution, network "
	 "access, eval/exec or base64-decode patterns (named in the evidence); INFO otherwise. The code "
	 "itself is not analysed further.",
	 "Read the script before running it or loading the model with trust_remote_code=True.",
	 "829"},
	{"limit.findings",
	 "Too many distinct findings; the rest were dropped.",
	 "The file produced more distinct findings than the max_findings limit allows. Findings after "
	 "the limit were not recorded and the file is reported as not fully analysed.",
	 "Review the findings that were kept; raise --limit max_findings=N to see more.",
	 NULL},
	/* ---- safetensors, GGUF, chat templates ---- */
	{"safetensors.inventory",
	 "Tensor inventory of a safetensors file.",
	 "The safetensors header was validated (dtypes, shapes, offsets covering the data section "
	 "exactly). The message lists the number of tensors, the parameter count and the dtypes.",
	 "No action needed; informational.",
	 NULL},
	{"safetensors.metadata.code-like",
	 "safetensors metadata holds code-like text or a URL.",
	 "A string of the header's __metadata__ map mentions shell commands, Python code execution, "
	 "scripts or URLs. safetensors loaders never interpret metadata, so the file itself is inert; "
	 "the text only matters to a pipeline that would evaluate or fetch it.",
	 "Check why the model's metadata carries such text before feeding it to tooling that reads "
	 "metadata.",
	 NULL},
	{"gguf.inventory",
	 "Summary of a GGUF file.",
	 "The GGUF header, metadata and tensor infos were validated against llama.cpp's rules. The "
	 "message lists the version, architecture, number of metadata keys, tensors, parameters and "
	 "ggml types.",
	 "No action needed; informational.",
	 NULL},
	{"gguf.trailing-data",
	 "Bytes follow the end of the GGUF data section.",
	 "The file continues past the last tensor's padded data (or past the metadata when there are "
	 "no tensors). Loaders ignore these bytes; they can carry a hidden payload or make the file "
	 "valid as a second format.",
	 "Check where the file came from; GGUF writers do not append data.",
	 "436"},
	{"gguf.template.sandbox-escape",
	 "The GGUF chat template contains Jinja sandbox-escape constructs.",
	 "The tokenizer.chat_template (or another Jinja template in the metadata) reaches Python "
	 "internals: attribute walks to dunder names (__class__, __globals__ ...), Jinja globals "
	 "used as footholds (cycler, joiner, lipsum, self ...), modules such as os, exec-like calls, "
	 "or names hidden by string concatenation, escapes, |join or '%c'|format. llama.cpp, "
	 "transformers, vLLM and Ollama render the template for every prompt; a sandbox escape runs "
	 "code on the inference server (CVE-2024-34359 class).",
	 "Do not serve this model with a Jinja-based chat template renderer. Replace the template with "
	 "a known-good one from the original model, or obtain the model from a trusted source.",
	 "1336"},
	{"tokenizer-config.template.sandbox-escape",
	 "The chat template in tokenizer_config.json contains Jinja sandbox-escape constructs.",
	 "The chat_template of a Hugging Face tokenizer config reaches Python internals or hides names "
	 "by obfuscation (see gguf.template.sandbox-escape). apply_chat_template() renders it in "
	 "Jinja's sandbox; a sandbox escape runs code in the process that formats prompts.",
	 "Do not call apply_chat_template() with this tokenizer. Replace the chat_template with a "
	 "known-good one or obtain the model from a trusted source.",
	 "1336"},
	/* ---- keras / hdf5 ---- */
	{"keras.lambda.bytecode",
	 "A Keras Lambda carries marshalled Python bytecode.",
	 "Keras serializes a Python lambda as base64-encoded marshal data (Keras 3 __lambda__ objects, "
	 "Keras 2 Lambda layers with function_type lambda). The code runs when the model is loaded or "
	 "first called, and bytecode cannot be vetted statically; Keras safe_mode refuses it, but "
	 "safe_mode can be turned off by the caller or by the config itself. The evidence lists the "
	 "strings found in the marshal data (names and constants such as exec or os.system).",
	 "Do not load the model with safe_mode=False. Rebuild the layer from source you control, or "
	 "replace the Lambda with a registered custom layer.",
	 "94"},
	{"keras.lambda.source",
	 "A Keras Lambda is given as Python source text.",
	 "Where Keras expects a function (bytecode or a function name), the config holds Python source "
	 "such as 'lambda x: eval(...)'. Tools and older loaders that evaluate such text run it. "
	 "CRITICAL when the text reaches eval, exec, os, subprocess or similar.",
	 "Treat the model as untrusted; do not load it with code that evaluates Lambda sources.",
	 "94"},
	{"keras.module.dangerous",
	 "The Keras config makes the loader import and call a dangerous Python callable.",
	 "A serialized object names a module and class/function that is on laocoon's deny list "
	 "(process execution, eval/exec, file or network access ...), e.g. {module: subprocess, "
	 "class_name: run} (CVE-2025-1550). Keras before 3.9 imports any module named in a config; "
	 "the layer's arguments are passed to it.",
	 "Do not load this model. Upgrade Keras and keep safe_mode on.",
	 "502"},
	{"keras.module.unknown",
	 "The Keras config references a class or function outside Keras' own modules.",
	 "Loading resolves serialized objects to Python objects: a module outside keras/tf.keras "
	 "(imported by Keras before 3.9) or a custom registered name ('Custom>X') means code that is "
	 "not in the file runs at load, from whatever the environment provides under that name.",
	 "Check that the module or custom object comes from a library you trust before loading the "
	 "model.",
	 "502"},
	{"keras.object.dangerous",
	 "The Keras config reaches a Keras function that downloads, loads or unlocks code.",
	 "Keras' own functions can be referenced from a config (Lambda functions, custom objects): "
	 "keras.utils.get_file writes a downloaded file to a chosen path (CVE-2025-8747), "
	 "set_global_attribute/enable_unsafe_deserialization switch safe_mode off (CVE-2025-9906), "
	 "load_model loads a further model, TorchModuleWrapper restores a pickled torch module.",
	 "Do not load this model. Upgrade Keras; a legitimate model never calls these from its config.",
	 "829"},
	{"keras.vocabulary.external",
	 "A Keras lookup layer reads its vocabulary from a path or URL.",
	 "StringLookup, IntegerLookup and TextVectorization accept a file path as vocabulary and read "
	 "it with tf.io.gfile when the model is built: a local file (information disclosure) or a "
	 "remote location that can change after the scan.",
	 "Embed the vocabulary in the model (a list) instead of a path.",
	 "73"},
	{"hdf5.external-link",
	 "The HDF5 file has an external link to another file.",
	 "An HDF5 external link makes h5py/libhdf5 open another file by path when the link is "
	 "accessed. Keras reads groups by name, so a link can substitute weights or configuration "
	 "from a file that was not scanned.",
	 "Scan the target file too, or re-save the model without external links.",
	 "73"},
	/* ---- numpy / joblib / zlib ---- */
	{"npy.object-array",
	 "The .npy array has an object dtype: its data is a pickle.",
	 "numpy stores arrays with Python objects (dtype 'O', or a structured dtype with such a field) "
	 "as a pickle after the header. numpy.load refuses them unless allow_pickle=True, which "
	 "unpickles the data. laocoon scans that pickle; its findings are reported separately.",
	 "Prefer arrays without object dtype. Load object arrays only from trusted sources.",
	 NULL},
	{"npy.trailing-data",
	 "Bytes follow the array data of the .npy file.",
	 "numpy.load reads exactly shape x itemsize bytes and ignores the rest. Extra bytes can hide "
	 "a second payload or make the file readable as another format; they are identified and "
	 "scanned.",
	 "Check where the file came from; numpy.save never appends data.",
	 NULL},
	{"npy.header-large",
	 "The .npy header is larger than numpy accepts by default.",
	 "numpy.load refuses headers above 10000 characters unless allow_pickle=True (or a raised "
	 "max_header_size), because parsing them with ast.literal_eval is slow and unsafe.",
	 "Real headers are a few hundred bytes; inspect the file's origin.",
	 NULL},
	{"joblib.external-array",
	 "A joblib (< 0.10) pickle loads array data from a separate file.",
	 "NDArrayWrapper / ZNDArrayWrapper objects make joblib.load open another file next to the "
	 "pickle (or elsewhere, for an absolute path or '..') and read it with "
	 "numpy.load(allow_pickle=True). That file is a pickle carrier of its own.",
	 "Scan the referenced file as well, or re-save the model with a current joblib version.",
	 "73"},
	{"joblib.array-data-pickle",
	 "Array data in a joblib file parses as a pickle.",
	 "joblib.load skips the raw array bytes that follow a NumpyArrayWrapper, but pickle.load "
	 "would execute them as opcodes. The bytes were scanned as a pickle; a payload hidden there "
	 "runs if the file is opened with plain pickle.",
	 "Do not load the file with pickle.load; treat a payload found there as malicious.",
	 "502"},
	{"joblib.zfile-length",
	 "A joblib Z-file declares a length that does not match its data.",
	 "joblib < 0.10 Z-files carry the decompressed length in their header; joblib refuses a "
	 "mismatch. A crafted length can make other readers disagree on the content.",
	 "Re-create the file from a trusted source.",
	 NULL},
	{"zlib.trailing-data",
	 "Bytes follow the end of the zlib stream.",
	 "The loader stops at the end of the zlib stream and ignores what follows; the bytes were "
	 "identified and scanned.",
	 "Check where the file came from; compressors do not append data.",
	 NULL},
	/* ---- onnx ---- */
	{"onnx.custom-op.python",
	 "An ONNX node runs a Python-backed custom operator or carries Python code.",
	 "The node's operator is a Python bridge (onnxruntime-extensions PyOp/PyCustomOp, onnxruntime "
	 "training's PythonOp, torch's PythonOp fallthrough) in a non-standard domain, or one of its "
	 "string attributes holds source code or is named like a script. Running the model with the "
	 "custom-op library that serves it executes Python code chosen by the model.",
	 "Do not load the model with a custom-op library registered. Obtain a model that uses only "
	 "standard ONNX operators, or review the code in the evidence.",
	 "94"},
	{"onnx.custom-op",
	 "An ONNX node uses an operator of a custom domain.",
	 "The node's domain is neither a standard ONNX domain nor onnxruntime's contrib domain and no "
	 "model-local function defines it. A runtime can only run it after the host registers a native "
	 "or Python custom-op library: code the model does not contain and laocoon cannot inspect.",
	 "Find out which library provides the domain and load the model only with a library you trust.",
	 NULL},
	{"onnx.contrib-op",
	 "An ONNX node uses an onnxruntime contrib operator.",
	 "The node belongs to com.microsoft (or a com.microsoft.* / com.ms.* domain): operators whose "
	 "kernels ship inside onnxruntime itself. Other runtimes may not run the model.",
	 "No action needed for onnxruntime; recorded for context.",
	 NULL},
	{"onnx.external-data.escape",
	 "An ONNX tensor's external data lies outside the model's folder.",
	 "A tensor stores its values in an external file whose location is absolute, climbs out with "
	 "'..', resolves through a symbolic link to a path outside the folder of the model, contains a "
	 "NUL byte, or is onnxruntime's in-memory address tag. Loading the model reads that file (or "
	 "memory) into the tensor: a way to exfiltrate local files through model outputs or to read "
	 "devices.",
	 "Do not load the model. External data must be a plain relative path next to the model.",
	 "22"},
	{"onnx.external-data.unresolved",
	 "An ONNX tensor's external data could not be checked.",
	 "The model was read from inside a container (zip, tar ...) or from memory, so the file its "
	 "external data names cannot be resolved: the location passed the lexical checks (relative, no "
	 "'..'), but where the model is unpacked a symbolic link at that path would make the loader "
	 "read any file.",
	 "Unpack the model and scan the folder, so that the external files are resolved and checked.",
	 NULL},
	/* ---- tflite ---- */
	{"tflite.custom-op",
	 "A TFLite operator is a custom operator.",
	 "The model names an operator by a custom_code string instead of a builtin code. The "
	 "interpreter can only run it with a kernel registered under that name by the application or a "
	 "library it links: native code the model does not contain. Kernels that ship with TFLite, "
	 "TFLite Micro (Signal*) or a vendor NPU toolchain (ethos-u, edgetpu-custom-op) are INFO; any "
	 "other name is MEDIUM.",
	 "Find out which library registers the kernel and run the model only with a library you "
	 "trust.",
	 NULL},
	{"tflite.flex-op",
	 "A TFLite operator is a Flex (select TensorFlow) operator.",
	 "The custom_code starts with \"Flex\": the Flex delegate runs the named TensorFlow kernel with "
	 "the full TensorFlow op library. Ops that call host Python (PyFunc, EagerPyFunc) are CRITICAL; "
	 "ops that read, write, list or map files, or reach the network or a database (ReadFile, "
	 "WriteFile, MatchingFiles, ImmutableConst, SaveV2 ...) are HIGH; other TensorFlow ops are "
	 "MEDIUM.",
	 "Do not run a model with file, network or Python ops. Otherwise run it only where the Flex "
	 "delegate is needed and trusted, or reconvert the model with builtin operators only.",
	 "94"},
	{"tflite.unknown-builtin",
	 "A TFLite operator uses a builtin code laocoon does not know.",
	 "The operator code is above the highest BuiltinOperator of the schema laocoon knows (or is the "
	 "placeholder 127). A newer TFLite may know it; the operator could not be classified.",
	 "Check that the model was produced by a recent converter; update laocoon if so.",
	 NULL},
	{"tflite.associated-files",
	 "A zip archive follows the TFLite flatbuffer.",
	 "TFLite metadata stores associated files (labels, vocabularies) as a zip archive appended to "
	 "the model. laocoon scans its members like any other archive and reports their findings "
	 "separately.",
	 "No action needed by itself; review the findings of the archive's members.",
	 NULL},
	/* ---- TensorFlow (SavedModel, GraphDef, checkpoint) ---- */
	{"tf.op.python",
	 "The TensorFlow graph calls back into host Python (PyFunc).",
	 "PyFunc, PyFuncStateless and EagerPyFunc ops run a Python callable registered in the process "
	 "that executes the graph (tf.py_function, tf.numpy_function). The graph only stores a token; "
	 "whatever the loading program registered under it, or a crafted registration, runs with the "
	 "process's rights. A model file has no legitimate need for it.",
	 "Do not serve or load this model. Re-export it without tf.py_function/tf.numpy_function.",
	 "94"},
	{"tf.op.file-access",
	 "A TensorFlow op reads, writes, lists or maps files when the graph runs.",
	 "Ops such as ReadFile, WriteFile, MatchingFiles, file datasets (TFRecordDataset, "
	 "TextLineDataset ...), ImmutableConst, PrintV2 to a file://, dataset caches, summary writers "
	 "and lookup tables read from text files touch the file system of the serving host. laocoon "
	 "computes which nodes each serving signature, load-time init op and object-graph function "
	 "reaches: such ops there (or outside every known root) are HIGH; checkpoint ops outside the "
	 "saver are MEDIUM; a lookup table read from a bundled asset is INFO.",
	 "Review the path in the evidence. Serving graphs have no reason to read or write arbitrary "
	 "files; re-export the model without these ops.",
	 "73"},
	{"tf.op.saver",
	 "Checkpoint ops of the saver (SaveV2, RestoreV2, MergeV2Checkpoints).",
	 "Every SavedModel carries a saver subgraph that reads and writes its variables/ checkpoint. "
	 "These ops are reached only from the saver_def's save/restore tensors (or the object graph's "
	 "saveable functions), with the checkpoint prefix fed at run time, and are expected. In a bare "
	 "GraphDef without a saver_def they are reported LOW.",
	 "No action needed.",
	 NULL},
	{"tf.op.network",
	 "A TensorFlow op connects to or serves other hosts.",
	 "Rpc/TryRpc, the RPC client and server ops and the tf.data service ops (DataServiceDataset, "
	 "RegisterDataset) open network connections from the serving process: data can be sent out or "
	 "fetched from an attacker-chosen address.",
	 "Do not serve this model on a host with network access to anything sensitive; re-export it "
	 "without network ops.",
	 "918"},
	{"tf.op.sql",
	 "A TensorFlow op opens a SQL database and runs a query.",
	 "SqlDataset (ExperimentalSqlDataset) opens a database given by its data source name (a "
	 "SQLite file path) and runs a query when the graph runs.",
	 "Review the data source in the evidence; serving graphs should not query databases.",
	 "89"},
	{"tf.op.debug-sink",
	 "A TensorFlow debug op dumps tensors to a file or a gRPC endpoint.",
	 "tfdbg ops (DebugIdentity, DebugNumericSummary ...) with debug_urls (file://, grpc://) or a "
	 "dump_root write every tensor that passes through them to that location: model inputs can be "
	 "exfiltrated or files written.",
	 "Strip debug ops before serving (they are inserted by debugging sessions, never needed in a "
	 "served model).",
	 "200"},
	{"tf.op.decode-proto-descriptor",
	 "DecodeProto/EncodeProto loads protobuf descriptors from a file.",
	 "The descriptor_source attribute of DecodeProtoV2/EncodeProto names where message "
	 "descriptors come from: local:// (the binary's own) and bytes:// (embedded) are "
	 "self-contained; anything else is a file path read on the serving host.",
	 "Use an embedded (bytes://) descriptor or re-export without these ops.",
	 "73"},
	{"tf.op.unknown",
	 "The TensorFlow graph uses an op that is not a standard TensorFlow op.",
	 "Ops outside laocoon's table of core TensorFlow ops (and not functions of the graph's "
	 "library) need a custom kernel library loaded into the process (tf.load_op_library): native "
	 "code that was not part of the scan. Internal ops (leading underscore) are LOW.",
	 "Find out which library provides the op and whether you trust it before loading the model.",
	 "829"},
	/* ---- architectural backdoors (src/analyze/backdoor.c) ---- */
	{"backdoor.select-override",
	 "A selector in the graph replaces the model's output when a trigger in the input fires.",
	 "A Where/Select or Switch/Merge on the way to an output chooses between the model's own "
	 "computation and a constant (or model-skipping) payload, and its condition is computed from "
	 "an input or an early feature map through comparisons with constants, slices, reductions or "
	 "a tiny high-gain sub-network, not through the model's learned layers. On normal inputs the "
	 "model is exact; on the trigger it returns the attacker's output. The evidence lists the "
	 "input, every node of the trigger path with the constants compared against, the selector, "
	 "the payload and the output.",
	 "Do not deploy the model. Draw the path with `laocoon graph --highlight`, compare with the "
	 "publisher's original export, and obtain the model from a trusted source.",
	 "506"},
	{"backdoor.blend-override",
	 "An arithmetic blend mixes a payload into the model's output under an input trigger.",
	 "The output is computed as a*(1-m) + b*m, a + m*d or a*(1-m), where the gate m is derived "
	 "from an input (or early feature map) by comparisons with constants or a small saturating "
	 "sub-network and the payload is a constant or bypasses the model: a trigger-gated override "
	 "written without any selector op. The evidence names the trigger path, gate, payload and "
	 "output.",
	 "Do not deploy the model. Draw the path with `laocoon graph --highlight` and compare with a "
	 "trusted export.",
	 "506"},
	{"backdoor.branch-override",
	 "An If/Case branch returns a payload instead of the model when an input trigger fires.",
	 "A conditional (ONNX If, TF If/StatelessIf/Case, TFLite IF) whose condition is derived from "
	 "an input through comparisons with constants selects between branches that differ grossly: "
	 "one runs the model, the other returns a constant or skips the model.",
	 "Do not deploy the model. Draw the path with `laocoon graph --highlight` and compare with a "
	 "trusted export.",
	 "506"},
	{"backdoor.subnet-trigger",
	 "A tiny parallel sub-network on an input region gates the model's output.",
	 "A few weights (a small convolution or dense layer) read a region of the input, a large gain "
	 "drives a saturating activation (sigmoid, tanh, clip) to 0 or 1, and that gate blends or "
	 "selects a constant payload into the output. No comparison op is needed: the sub-network is "
	 "the trigger detector. The evidence names the region, the gain, the gate and the output.",
	 "Do not deploy the model. Draw the path with `laocoon graph --highlight` and compare with a "
	 "trusted export.",
	 "506"},
	{"backdoor.feature-trigger",
	 "A trigger on an intermediate feature map overrides the model's output.",
	 "A region of a feature map computed by the model's own early layers is reduced and compared "
	 "with constants (or saturated), and the result selects or blends a payload into the output "
	 "while bypassing the rest of the model. The evidence names the feature map, the trigger path, "
	 "the selector and the output.",
	 "Do not deploy the model. Draw the path with `laocoon graph --highlight` and compare with a "
	 "trusted export.",
	 "506"},
};
// clang-format on

const lc_rule_info *lc_rule_lookup(const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

const lc_rule_info *lc_rule_table(size_t *count)
{
	*count = sizeof rules / sizeof rules[0];
	return rules;
}
