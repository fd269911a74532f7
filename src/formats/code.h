/*
 * Code shipped beside model weights (src/formats/code.c): native libraries
 * and executables (ELF, Mach-O, PE), Python and shell scripts, and Git LFS
 * pointer files standing in for weights that were never downloaded.
 */
#ifndef LC_FORMATS_CODE_H
#define LC_FORMATS_CODE_H

#include <stddef.h>
#include <stdint.h>

/* True when text looks like Python source by its top-level statements
 * (several lines starting with import / from x import / def / class), and
 * is not Markdown with code blocks.  Looks at a bounded prefix.  Shared with
 * the YAML config bidder so that Python files mentioning `_target_` are not
 * claimed as YAML. */
int lc_text_looks_like_python(const uint8_t *data, size_t len);

#endif
