/*
 * CycloneDX 1.6 ML-BOM of a model directory or file (src/supply/bom.c).
 */
#ifndef LC_SUPPLY_BOM_H
#define LC_SUPPLY_BOM_H

#include <stdio.h>

#include "laocoon.h"

/* Scans path with opt, hashes every file (SHA-256, SHA-512) and writes a
 * CycloneDX 1.6 JSON BOM to out: the model (directory or file) as the
 * metadata component, one component per file with its format, status, size,
 * members and tensor inventory as properties, and every finding as a
 * vulnerability that affects its file.  Problems are reported on log.
 * Returns 0 when the BOM was written and every file fully analysed, 2 when
 * it was written but some file could not be read or analysed (see its
 * laocoon:status), -1 when no BOM could be written. */
int lc_bom_write(FILE *out, const lc_scan_options *opt, const char *path, FILE *log);

#endif
