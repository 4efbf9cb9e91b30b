/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * teahouse-cli: the room on a terminal. Lines from standard input are said
 * in the current room or run as /commands; the room is printed with local
 * timestamps. Works the same with a pipe as with a person typing.
 */
#pragma once

#include <gio/gio.h>

#include "tea-client.h"

G_BEGIN_DECLS

typedef struct _TeaCli TeaCli;

TeaCli *tea_cli_new (TeaClient *client, const char *room, GInputStream *input, GOutputStream *output);
void tea_cli_free (TeaCli *cli);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeaCli, tea_cli_free)
/* Runs until the user quits, input ends, or the connection fails.
 * Returns the exit status. */
int tea_cli_run (TeaCli *cli);

/* Exposed for tests: what a line of input does, and how an event prints. */
char *tea_cli_format_event (const char *room, gboolean show_room, const TeaEvent *event);

G_END_DECLS
