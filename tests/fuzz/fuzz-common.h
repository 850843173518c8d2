/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the libFuzzer targets share.  Parsers that read a path get the fuzz
 * input through files in one private directory, made once per process. */

/* Every target links fuzz-common.c, whose LLVMFuzzerInitialize makes GLib
 * criticals and warnings fatal (a g_return_if_fail() hit by hostile input
 * counts as a crash) and points the user cache into the private directory. */

/* Returns: (transfer none): the private directory, emptied by
 * fuzz_clear_dir(). */
const char *fuzz_dir           (void);
void        fuzz_clear_dir     (void);

/* Writes @size bytes to NAME in the private directory.
 * Returns: (transfer full): its path. */
char       *fuzz_write_file    (const char   *name,
                                const guint8 *data,
                                gsize         size);

/* Reads every byte, so AddressSanitizer sees any that lie out of bounds. */
guint8      fuzz_touch         (const guint8 *data,
                                gsize         size);

/* Rewrites every chunk's CRC of the PNG in @png: otherwise libpng refuses
 * nearly every mutation at the first checksum and the fuzzer never reaches
 * the code after it. */
void        fuzz_fix_png_crcs  (guint8       *png,
                                gsize         size);

G_END_DECLS
