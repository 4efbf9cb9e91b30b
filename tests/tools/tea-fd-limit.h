/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tea-netem and tea-soak hold a socket per client: a thousand clients
 * need more than the usual 1024 descriptors.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Raises the soft limit on open files to the hard limit; returns the
 * limit now in force. */
guint64 tea_raise_fd_limit (void);

G_END_DECLS
