/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tea-bench.h"

int
main (int argc, char **argv)
{
  return tea_bench_main (argc, argv);
}
