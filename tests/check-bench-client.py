#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs bench-client (a short run) and checks that it finished and printed
well-formed figures: one JSON line with every field, numbers that make
sense. No timing thresholds: the machine running the tests is not a
benchmark machine.

Usage: check-bench-client.py BENCH_COMMAND...
"""

import json
import math
import subprocess
import sys


def fail(why, output=""):
    sys.stderr.write(output)
    sys.stderr.write("bench-client: %s\n" % why)
    sys.exit(1)


def number(value, name, minimum=0.0):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        fail("%s is not a number: %r" % (name, value))
    if value < minimum:
        fail("%s is %r, below %r" % (name, value, minimum))
    return value


def check_stats(stats, name):
    for key in ("n", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "over_25ms"):
        number(stats.get(key), "%s.%s" % (name, key))
    if stats["over_25ms"] > stats["n"]:
        fail("%s: more late frames than frames" % name)
    if stats["n"] and not stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"] <= stats["max_ms"]:
        fail("%s: percentiles out of order" % name)


def main():
    run = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, timeout=600)
    sys.stdout.write(run.stdout)
    if run.returncode != 0:
        fail("exited with %d" % run.returncode)
    lines = [l for l in run.stdout.splitlines() if l.startswith('{"bench": "client"')]
    if len(lines) != 1:
        fail("expected one JSON line, found %d" % len(lines))
    try:
        figures = json.loads(lines[0])
    except ValueError as e:
        fail("the JSON line does not parse: %s" % e)

    messages = number(figures.get("messages"), "messages", 1)
    number(figures.get("lines"), "lines", messages)
    number(figures.get("fill_ms"), "fill_ms")
    number(figures.get("scale"), "scale", 1)
    if not figures.get("renderer", "").startswith("Gsk"):
        fail("no renderer named")
    switches = figures.get("switch")
    if not switches:
        fail("no switches measured")
    for i, s in enumerate(switches):
        for key in ("select_ms", "first_paint_ms", "newest_ms"):
            number(s.get(key), "switch[%d].%s" % (i, key))
        if s["first_paint_ms"] > s["newest_ms"]:
            fail("switch[%d]: newest line painted before the first frame" % i)
    # Only the rows in view (and a few beyond) have widgets.
    rows = number(figures.get("rows_instantiated"), "rows_instantiated", 1)
    if rows > 400:
        fail("%d rows have widgets: the list view is not recycling" % rows)
    rss = figures.get("rss_kb", {})
    for key in ("start", "after_fill", "after_switch", "end", "peak"):
        number(rss.get(key), "rss_kb.%s" % key, 1)
    for name in ("scroll_up", "jump_top", "scroll_down", "jump_bottom"):
        scroll = figures.get(name)
        if not isinstance(scroll, dict):
            fail("%s missing" % name)
        check_stats(scroll.get("interval", {}), name + ".interval")
        check_stats(scroll.get("work", {}), name + ".work")
        # A jump may take a single frame: no interval, but its work counts.
        if scroll["work"]["n"] < 1:
            fail("%s: no frames recorded" % name)
    for name in ("scroll_up", "scroll_down"):
        number(figures[name]["rows"], name + ".rows", 1)
    for name in ("jump_top", "jump_bottom"):
        number(figures[name]["reached_ms"], name + ".reached_ms")
    idle = figures.get("idle")
    if not isinstance(idle, dict):
        fail("idle missing")
    number(idle.get("seconds"), "idle.seconds", 1)
    number(idle.get("frames"), "idle.frames")
    print("# figures are well-formed")


if __name__ == "__main__":
    main()
