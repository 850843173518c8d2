/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Camtrail's messages are UTF-8 (…, →, ×, ±, “ ”, σ).  Where the locale's
 * character set cannot show them (LANG unset, a minimal container, ssh
 * from an odd terminal), GLib would print '?'; these give the usual ASCII
 * spellings instead ("...", "->", "x", "+/-", "\"", "sigma"). */

/* Returns: (transfer full): @utf8 with every character of the table
 * spelled in ASCII; other characters are kept. */
char *ct_text_to_ascii               (const char *utf8);

/* Returns: (transfer full): @utf8 as the locale's character set shows it:
 * unchanged in a UTF-8 locale, else ct_text_to_ascii() converted to that
 * set, with '?' only for what neither knows. */
char *ct_text_for_locale             (const char *utf8);

/* Routes g_print() and g_printerr() through ct_text_for_locale(); the
 * programs call it once at start. */
void  ct_text_install_print_handlers (void);

G_END_DECLS
