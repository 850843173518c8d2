/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ct-application.h"
#include "ct-text.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CtApplication) app = NULL;
  const char *localedir;

  setlocale (LC_ALL, "");
  /* CAMTRAIL_LOCALEDIR points an uninstalled build at its own catalogues. */
  localedir = g_getenv ("CAMTRAIL_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* --help and messages without '?' where the locale is not UTF-8. */
  ct_text_install_print_handlers ();

  app = ct_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
