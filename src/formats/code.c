/*
 * Code shipped beside model weights, and weights that are not there.
 *
 *  native (ELF, Mach-O, PE)  a model repository has no need for binaries,
 *      but custom-op loaders (torch.ops.load_library, tf.load_op_library)
 *      and trust_remote_code modules load them: reported MEDIUM so that a
 *      person looks.  Only the header is validated (bounds-checked); the
 *      binary is not analysed.
 *  python, shell              scripts that remote code or a README's
 *      instructions run: INFO, or MEDIUM when a quick token scan sees
 *      process, network, eval/exec or decode-and-run patterns.  No Python
 *      analysis beyond that.
 *  git-lfs-pointer            a pointer file where weights should be: the
 *      real file was never fetched, so nothing was scanned.  An error, so the
 *      run cannot come out clean.
 */
#include <stdio.h>
#include <string.h>

#include "core/lc.h"
#include "formats/code.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Git LFS pointer ------------------------------------------------------
 * https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md: "version URL"
 * first, then sorted "key value" lines, among them "oid sha256:<64 hex>" and
 * "size <decimal>"; smaller than 1024 bytes. */
static const char *const lfs_versions[] = {
	"version https://git-lfs.github.com/spec/v1",
	"version https://hawser.github.com/spec/v1", /* pre-release clients */
};

int lc_bid_lfs_pointer(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < NELEM(lfs_versions); i++) {
		size_t n = strlen(lfs_versions[i]);
		if (len > n && memcmp(data, lfs_versions[i], n) == 0 && (data[n] == '\n' || data[n] == '\r'))
			return 95;
	}
	return 0;
}

static int is_hex(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

lc_err lc_parse_lfs_pointer(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	lc_set_format(ctx, "git-lfs-pointer");
	char oid[65] = "", size[24] = "";
	size_t n = len < 4096 ? len : 4096, i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && data[e] != '\n')
			e++;
		const uint8_t *l = data + i;
		size_t ll = e - i;
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (ll == 11 + 64 && memcmp(l, "oid sha256:", 11) == 0) {
			size_t k;
			for (k = 0; k < 64 && is_hex(l[11 + k]); k++)
				;
			if (k == 64) {
				memcpy(oid, l + 11, 64);
				oid[64] = '\0';
			}
		} else if (ll > 5 && ll - 5 < sizeof size && memcmp(l, "size ", 5) == 0) {
			size_t k;
			for (k = 5; k < ll && l[k] >= '0' && l[k] <= '9'; k++)
				;
			if (k == ll) {
				memcpy(size, l + 5, ll - 5);
				size[ll - 5] = '\0';
			}
		}
		i = e + 1;
	}
	if (!oid[0] || !size[0])
		return lc_fail(ctx, LC_E_MALFORMED, 0,
			       "Git LFS pointer without a valid 'oid sha256:' and 'size' line: the real file was "
			       "not downloaded, so it was not scanned");
	return lc_fail(ctx, LC_E_UNSUPPORTED, 0,
		       "Git LFS pointer: the real file (sha256 %s, %s bytes) was not downloaded, so it was not "
		       "scanned (run git lfs pull, then scan again)",
		       oid, size);
}

/* ---- native code ------------------------------------------------------------ */

enum native { N_NONE, N_ELF, N_MACHO, N_MACHO_FAT, N_PE };

static uint16_t be16(const uint8_t *q) { return (uint16_t)((q[0] << 8) | q[1]); }
static uint64_t be64(const uint8_t *q) { return ((uint64_t)lc_be32(q) << 32) | lc_be32(q + 4); }

#define FAT_MAX_ARCHS 20 /* as file(1): CA FE BA BE with more is a Java class file */

static enum native sniff_native(const uint8_t *d, size_t len)
{
	if (len >= 16 && memcmp(d, "\x7f" "ELF", 4) == 0 && (d[4] == 1 || d[4] == 2) && (d[5] == 1 || d[5] == 2) &&
	    d[6] == 1)
		return N_ELF;
	if (len >= 28) {
		uint32_t le = lc_le32(d), be = lc_be32(d);
		if (le == 0xfeedface || le == 0xfeedfacf || be == 0xfeedface || be == 0xfeedfacf)
			return N_MACHO;
	}
	if (len >= 8 && lc_be32(d) == 0xcafebabe) {
		/* Java class files share the magic; their next word (minor and
		 * major version) is >= 45. */
		uint32_t n = lc_be32(d + 4);
		if (n >= 1 && n < FAT_MAX_ARCHS)
			return N_MACHO_FAT;
	}
	if (len >= 0x40 && d[0] == 'M' && d[1] == 'Z') {
		uint32_t off = lc_le32(d + 0x3c);
		if (off >= 0x40 && off <= len - 4 && memcmp(d + off, "PE\0\0", 4) == 0)
			return N_PE;
	}
	return N_NONE;
}

int lc_bid_native(const uint8_t *data, size_t len) { return sniff_native(data, len) != N_NONE ? 90 : 0; }

static const char *elf_machine(unsigned m)
{
	switch (m) {
	case 3:
		return "x86";
	case 8:
		return "MIPS";
	case 20:
		return "PowerPC";
	case 21:
		return "PowerPC64";
	case 40:
		return "ARM";
	case 62:
		return "x86-64";
	case 183:
		return "AArch64";
	case 243:
		return "RISC-V";
	default:
		return "other machine";
	}
}

static const char *elf_type(unsigned t)
{
	switch (t) {
	case 1:
		return "relocatable object";
	case 2:
		return "executable";
	case 3:
		return "shared object";
	case 4:
		return "core file";
	default:
		return "unknown type";
	}
}

/* Fills desc and returns NULL, or returns why the header is inconsistent. */
static const char *check_elf(const uint8_t *d, size_t len, char *desc, size_t dl)
{
	int is64 = d[4] == 2, le = d[5] == 1;
	size_t hdr = is64 ? 64 : 52;
	if (len < hdr)
		return "ELF header is truncated";
#define U16(o) (le ? lc_le16(d + (o)) : be16(d + (o)))
#define U32(o) (le ? lc_le32(d + (o)) : lc_be32(d + (o)))
#define U64(o) (le ? lc_le64(d + (o)) : be64(d + (o)))
	unsigned type = U16(16), machine = U16(18);
	uint64_t phoff = is64 ? U64(32) : U32(28), shoff = is64 ? U64(40) : U32(32);
	unsigned phentsize = is64 ? U16(54) : U16(42), phnum = is64 ? U16(56) : U16(44);
	unsigned shentsize = is64 ? U16(58) : U16(46), shnum = is64 ? U16(60) : U16(48);
#undef U16
#undef U32
#undef U64
	snprintf(desc, dl, "ELF%d %s-endian %s, %s (e_machine %u)", is64 ? 64 : 32, le ? "little" : "big",
		 elf_type(type), elf_machine(machine), machine);
	/* Each table must lie inside the file: n * entsize is at most
	 * 65535 * 65535, so the products cannot overflow 64 bits. */
	if (phnum && (phoff > len || (uint64_t)phnum * phentsize > len - phoff))
		return "ELF program header table lies outside the file";
	if (shnum && (shoff > len || (uint64_t)shnum * shentsize > len - shoff))
		return "ELF section header table lies outside the file";
	return NULL;
}

static const char *check_macho(const uint8_t *d, size_t len, char *desc, size_t dl)
{
	int le = lc_le32(d) == 0xfeedface || lc_le32(d) == 0xfeedfacf;
	uint32_t magic = le ? lc_le32(d) : lc_be32(d);
	int is64 = magic == 0xfeedfacf;
	size_t hdr = is64 ? 32 : 28;
	if (len < hdr)
		return "Mach-O header is truncated";
	uint32_t filetype = le ? lc_le32(d + 12) : lc_be32(d + 12);
	uint32_t ncmds = le ? lc_le32(d + 16) : lc_be32(d + 16);
	uint32_t sizeofcmds = le ? lc_le32(d + 20) : lc_be32(d + 20);
	const char *ft = filetype == 2 ? "executable" : filetype == 6 ? "dynamic library" : filetype == 8 ? "bundle"
			 : filetype == 1 ? "object" : "other type";
	snprintf(desc, dl, "Mach-O %d-bit %s-endian %s, %u load commands", is64 ? 64 : 32, le ? "little" : "big", ft,
		 ncmds);
	if (sizeofcmds > len - hdr)
		return "Mach-O load commands extend past the end of the file";
	if (ncmds > sizeofcmds / 8) /* every load command is at least 8 bytes */
		return "Mach-O load command count does not fit their size";
	return NULL;
}

static const char *check_fat(const uint8_t *d, size_t len, char *desc, size_t dl)
{
	uint32_t n = lc_be32(d + 4);
	snprintf(desc, dl, "Mach-O universal binary, %u architectures", n);
	if ((uint64_t)n * 20 > len - 8)
		return "Mach-O universal header is truncated";
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *a = d + 8 + (size_t)i * 20;
		uint32_t off = lc_be32(a + 8), size = lc_be32(a + 12);
		if (off > len || size > len - off)
			return "Mach-O universal slice lies outside the file";
	}
	return NULL;
}

static const char *check_pe(const uint8_t *d, size_t len, char *desc, size_t dl)
{
	uint32_t off = lc_le32(d + 0x3c);
	if (off > len || len - off < 24)
		return "PE COFF header is truncated";
	const uint8_t *c = d + off + 4;
	unsigned machine = lc_le16(c), nsect = lc_le16(c + 2), optsize = lc_le16(c + 16), chars = lc_le16(c + 18);
	const char *m = machine == 0x8664 ? "x86-64" : machine == 0x14c ? "x86" : machine == 0xaa64 ? "ARM64"
			: "other machine";
	snprintf(desc, dl, "PE %s, %s, %u sections", chars & 0x2000 ? "DLL" : "executable", m, nsect);
	if ((uint64_t)optsize + (uint64_t)nsect * 40 > len - off - 24)
		return "PE section table lies outside the file";
	return NULL;
}

lc_err lc_parse_native(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	char desc[200] = "";
	const char *bad = NULL;
	switch (sniff_native(data, len)) {
	case N_ELF:
		lc_set_format(ctx, "elf");
		bad = check_elf(data, len, desc, sizeof desc);
		break;
	case N_MACHO:
		lc_set_format(ctx, "macho");
		bad = check_macho(data, len, desc, sizeof desc);
		break;
	case N_MACHO_FAT:
		lc_set_format(ctx, "macho");
		bad = check_fat(data, len, desc, sizeof desc);
		break;
	case N_PE:
		lc_set_format(ctx, "pe");
		bad = check_pe(data, len, desc, sizeof desc);
		break;
	default:
		return lc_fail(ctx, LC_E_INTERNAL, 0, "native reader called on bytes it did not bid on");
	}
	/* Reported even when the header is inconsistent: a loader may still
	 * accept it, and a person should look either way. */
	lc_finding_add(ctx, LC_SEV_MEDIUM, "repo.native-code", 0, NULL, desc,
		       "native library/executable shipped with the model: a custom-op or trust_remote_code loader "
		       "can load it");
	if (bad)
		return lc_fail(ctx, LC_E_MALFORMED, 0, "%s", bad);
	return LC_OK;
}

/* ---- scripts ----------------------------------------------------------------- */

static int ident_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Line l[0..n) starts with word w followed by a space and an identifier. */
static int starts_kw(const uint8_t *l, size_t n, const char *w)
{
	size_t k = strlen(w);
	return n > k + 1 && memcmp(l, w, k) == 0 && l[k] == ' ' && ident_char(l[k + 1]);
}

int lc_text_looks_like_python(const uint8_t *data, size_t len)
{
	size_t n = len < 65536 ? len : 65536;
	unsigned imports = 0, froms = 0, defs = 0, classes = 0;
	/* Markdown (model cards) quotes Python in fenced blocks. */
	if (memmem(data, n, "```", 3))
		return 0;
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && data[e] != '\n')
			e++;
		const uint8_t *l = data + i;
		size_t ll = e - i;
		if (starts_kw(l, ll, "import")) {
			imports++;
		} else if (starts_kw(l, ll, "from") && memmem(l, ll, " import ", 8)) {
			froms++;
		} else if (starts_kw(l, ll, "def") || starts_kw(l, ll, "async def")) {
			if (memchr(l, '(', ll))
				defs++;
		} else if (starts_kw(l, ll, "class")) {
			if (memchr(l, ':', ll))
				classes++;
		}
		i = e + 1;
	}
	unsigned kinds = (imports > 0) + (froms > 0) + (defs > 0) + (classes > 0);
	return imports + froms + defs + classes >= 3 && kinds >= 2;
}

enum script { S_NONE, S_PYTHON, S_SHELL };

/* Interpreter named by a "#!" line: python or a POSIX shell, directly or
 * through env. */
static enum script shebang(const uint8_t *d, size_t len)
{
	if (len < 3 || d[0] != '#' || d[1] != '!')
		return S_NONE;
	size_t e = 2;
	while (e < len && e < 256 && d[e] != '\n')
		e++;
	char line[260];
	memcpy(line, d + 2, e - 2);
	line[e - 2] = '\0';
	/* the interpreter: last path component of the first word, or of the
	 * first non-option word after env */
	char *tok = strtok(line, " \t\r");
	if (!tok)
		return S_NONE;
	char *base = strrchr(tok, '/');
	base = base ? base + 1 : tok;
	if (strcmp(base, "env") == 0) {
		while ((tok = strtok(NULL, " \t\r")) != NULL && tok[0] == '-')
			;
		if (!tok)
			return S_NONE;
		base = strrchr(tok, '/');
		base = base ? base + 1 : tok;
	}
	if (strncmp(base, "python", 6) == 0 || strncmp(base, "pypy", 4) == 0)
		return S_PYTHON;
	static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"};
	for (size_t i = 0; i < NELEM(shells); i++)
		if (strcmp(base, shells[i]) == 0)
			return S_SHELL;
	return S_NONE;
}

int lc_bid_script(const uint8_t *data, size_t len)
{
	if (len == 0 || !lc_looks_like_text(data, len))
		return 0;
	if (shebang(data, len) != S_NONE)
		return 60;
	return lc_text_looks_like_python(data, len) ? 20 : 0;
}

/* A token of the quick scan.  word: the match must not continue with an
 * identifier character; call: the match must not follow an identifier
 * character or '.', so model.eval() and re.compile() do not count. */
typedef struct tok {
	const char *text;
	const char *label;
	unsigned char word, call;
} tok;

static const tok py_toks[] = {
	{"os.system", "os.system", 1, 0},     {"os.popen", "os.popen", 1, 0},
	{"os.exec", "os.exec*", 0, 0},        {"os.spawn", "os.spawn*", 0, 0},
	{"subprocess", "subprocess", 1, 0},   {"pty", "pty", 1, 0},
	{"eval(", "eval", 0, 1},              {"exec(", "exec", 0, 1},
	{"__import__(", "__import__", 0, 1},  {"socket", "socket", 1, 0},
	{"urllib", "urllib", 0, 0},           {"requests", "requests", 1, 0},
	{"httpx", "httpx", 1, 0},             {"http.client", "http.client", 1, 0},
	{"ctypes", "ctypes", 1, 0},           {"marshal.loads", "marshal.loads", 1, 0},
	{"pickle.loads", "pickle.loads", 1, 0}, {"importlib", "importlib", 1, 0},
	{"b64decode", "base64 decode", 0, 0},
};

static const tok sh_toks[] = {
	{"curl", "curl", 1, 1},         {"wget", "wget", 1, 1},           {"nc", "nc", 1, 1},
	{"ncat", "ncat", 1, 1},         {"/dev/tcp/", "/dev/tcp", 0, 0},   {"base64 -d", "base64 -d", 0, 1},
	{"base64 --decode", "base64 --decode", 0, 1}, {"| sh", "pipe to sh", 1, 0},
	{"| bash", "pipe to bash", 1, 0}, {"|sh", "pipe to sh", 1, 0},     {"|bash", "pipe to bash", 1, 0},
	{"eval", "eval", 1, 1},         {"python -c", "python -c", 0, 1},  {"python3 -c", "python3 -c", 0, 1},
	{"chmod +x", "chmod +x", 0, 1},
};

static int tok_found(const uint8_t *d, size_t len, const tok *t)
{
	size_t tl = strlen(t->text);
	const uint8_t *p = d, *end = d + len;
	while ((size_t)(end - p) >= tl) {
		const uint8_t *q = memmem(p, (size_t)(end - p), t->text, tl);
		if (!q)
			return 0;
		int ok = 1;
		if (q > d && (ident_char(q[-1]) || (t->call && q[-1] == '.')))
			ok = 0;
		if (ok && t->word && q + tl < end && ident_char(q[tl]))
			ok = 0;
		if (ok)
			return 1;
		p = q + 1;
	}
	return 0;
}

lc_err lc_parse_script(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	enum script s = shebang(data, len);
	if (s == S_NONE)
		s = S_PYTHON; /* claimed by the Python heuristic */
	lc_set_format(ctx, s == S_PYTHON ? "python" : "shell");
	const tok *toks = s == S_PYTHON ? py_toks : sh_toks;
	size_t ntoks = s == S_PYTHON ? NELEM(py_toks) : NELEM(sh_toks);
	char found[512];
	size_t o = 0;
	int hits = 0, b64 = 0, run = 0;
	found[0] = '\0';
	for (size_t i = 0; i < ntoks; i++) {
		if (!tok_found(data, len, &toks[i]))
			continue;
		if (strstr(found, toks[i].label)) /* "pipe to sh" from "| sh" and "|sh" */
			continue;
		hits++;
		if (strcmp(toks[i].text, "b64decode") == 0)
			b64 = 1;
		if (strcmp(toks[i].label, "eval") == 0 || strcmp(toks[i].label, "exec") == 0)
			run = 1;
		if (o < sizeof found)
			o += (size_t)snprintf(found + o, sizeof found - o, "%s%s", o ? ", " : "", toks[i].label);
	}
	const char *what = s == S_PYTHON ? "Python source" : "shell script";
	if (!hits) {
		lc_finding_add(ctx, LC_SEV_INFO, "repo.code-file", 0, NULL, NULL,
			       "%s shipped with the model: remote code or setup instructions may run it", what);
		return LC_OK;
	}
	lc_finding_add(ctx, LC_SEV_MEDIUM, "repo.code-file", 0, NULL, found,
		       "%s shipped with the model uses %s%s: review it before running any code of this repository",
		       what, found, b64 && run ? " (decodes base64 and evaluates code)" : "");
	return LC_OK;
}
