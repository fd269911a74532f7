/*
 * Static analysis of Jinja chat templates (src/analyze/jinja_template.c).
 *
 * GGUF files (tokenizer.chat_template*) and tokenizer_config.json carry a
 * Jinja template that llama.cpp, transformers, vLLM, Ollama and others render
 * for every prompt.  Renderers use Jinja's sandbox (or a re-implementation of
 * it), and sandbox escapes are the attack: walks from a reachable object to
 * Python internals (''.__class__.__mro__, cycler.__init__.__globals__.os),
 * usually obfuscated so that naive string searches miss them ('__cla'~'ss__',
 * '\x5f\x5fclass\x5f\x5f', dict(__cl=1,ass__=1)|join, '%c'|format(95)).
 * The template is tokenised (never rendered) and rules run over the tokens,
 * with string literals decoded and simple string expressions folded.
 */
#ifndef LC_ANALYZE_JINJA_TEMPLATE_H
#define LC_ANALYZE_JINJA_TEMPLATE_H

#include "core/lc.h"

typedef struct lc_tmpl_verdict {
	int flagged;        /* 0: nothing noteworthy found */
	lc_severity sev;    /* highest severity (meaningful when flagged) */
	size_t offset;      /* byte offset in the template of the first construct at sev */
	char reasons[640];  /* "; "-separated, most severe first */
} lc_tmpl_verdict;

/* Pure analysis, no scan context (readers and unit tests).  Returns false
 * only when memory ran out. */
bool lc_jinja_analyse(const uint8_t *s, size_t n, lc_tmpl_verdict *v);

/* True when a string looks like a Jinja template: contains "{%" or "{{". */
bool lc_jinja_looks_like_template(const uint8_t *s, size_t n);

/* Analyses a template found in the file and records one finding under rule
 * when something is flagged.  where names the template (the metadata key);
 * offset is where the template text starts in the current view, or
 * LC_NO_OFFSET.  Checks template_max_size.  Returns LC_OK or the error
 * already recorded. */
lc_err lc_jinja_check(lc_ctx *ctx, const char *rule, const char *where, const uint8_t *s, size_t n,
		      uint64_t offset);

#endif
