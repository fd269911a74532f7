/*
 * PyTorch carriers that are not zips (src/formats/torch_legacy.c):
 * the legacy torch.save stream (stacked pickles + raw storages) and the
 * torch < 0.4 tar layout (members sys_info, pickle, storages, tensors), whose
 * tar container is opened by src/formats/archive.c.
 */
#ifndef LC_FORMATS_TORCH_H
#define LC_FORMATS_TORCH_H

#include "../core/lc.h"

/* One member of a legacy tar checkpoint (data NULL when absent). */
typedef struct lc_torch_tar {
	const uint8_t *sys_info, *pickle, *storages, *tensors;
	size_t sys_info_len, pickle_len, storages_len, tensors_len;
} lc_torch_tar;

/* True when the member names of a tar make it a legacy torch checkpoint. */
bool lc_torch_tar_is_layout(const lc_torch_tar *t);

/* Walks the four members exactly as torch/serialization.py legacy_load
 * reads them, scanning every pickle; layout problems are torch.legacy-layout
 * findings.  Returns the first error. */
lc_err lc_torch_tar_scan(lc_ctx *ctx, const lc_torch_tar *t);

/* Element size of a storage type name ("torch.FloatStorage" or
 * "FloatStorage"), 0 if unknown. */
unsigned lc_torch_storage_elem_size(const char *name, size_t len);

#endif
