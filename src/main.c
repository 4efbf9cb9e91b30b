/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-application.h"
#include "tea-i18n.h"

int
main (int argc, char **argv)
{
  g_autoptr (TeaApplication) app = NULL;

  tea_i18n_init ();

  app = tea_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
