/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tea-sd-notify.h"

void
tea_sd_notify (const char *state)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  gsize len;
  int fd;

  if (path == NULL || (path[0] != '/' && path[0] != '@') || strlen (path) >= sizeof addr.sun_path)
    return;
  len = strlen (path);
  memcpy (addr.sun_path, path, len);
  if (path[0] == '@')
    addr.sun_path[0] = '\0'; /* an abstract socket */
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  if (sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &addr,
              G_STRUCT_OFFSET (struct sockaddr_un, sun_path) + len) < 0)
    g_debug ("sd_notify: %s", g_strerror (errno));
  close (fd);
}

static gboolean
ping (gpointer user_data)
{
  tea_sd_notify ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

guint
tea_sd_watchdog_start (void)
{
  const char *usec = g_getenv ("WATCHDOG_USEC");
  const char *pid = g_getenv ("WATCHDOG_PID");
  guint64 interval;

  if (usec == NULL || (pid && g_ascii_strtoull (pid, NULL, 10) != (guint64) getpid ()))
    return 0;
  interval = g_ascii_strtoull (usec, NULL, 10);
  if (interval == 0)
    return 0;
  return g_timeout_add (MAX (interval / 2000, 1), ping, NULL);
}
