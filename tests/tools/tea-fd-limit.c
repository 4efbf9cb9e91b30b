/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <sys/resource.h>

#include "tea-fd-limit.h"

guint64
tea_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
      getrlimit (RLIMIT_NOFILE, &limit);
    }
  return limit.rlim_cur;
}
