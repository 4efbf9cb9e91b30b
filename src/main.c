/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "tea-application.h"

int
main (int argc, char **argv)
{
  g_autoptr (TeaApplication) app = NULL;
  /* Lets an uninstalled build find its translations in the build tree
   * (build-aux/make-screenshots); installed copies never need it. */
  const char *locale_dir = g_getenv ("TEAHOUSE_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir ? locale_dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = tea_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
