/* `egs validate --target`: which top-level cloud-config keys a target
 * applies. egs provisions Linux guests with a subset of cloud-init's
 * modules (issue 6); every other key is accepted (cloud-init's schema
 * allows it) but does nothing, and validate warns about it. */
#ifndef EGS_VALIDATE_TARGET_H
#define EGS_VALIDATE_TARGET_H

/* 1 for the targets `--target` takes: windows, linux, all, egs. */
int validate_target_known(const char *target);

/* 1 when the target has a list of applied keys: linux and egs (the egs
 * agent's list). windows and all have no portability check. */
int validate_target_checks(const char *target);

/* 1 when egs applies the top-level key (write_files, users, runcmd, ...,
 * and merge_how/merge_type, which the merge consumes). */
int validate_target_applies(const char *key);

#endif
