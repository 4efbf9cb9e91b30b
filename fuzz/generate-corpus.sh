#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Usage: generate-corpus.sh CORPUS_DIR REPLAY_PROGRAM...
# Each fuzz-<target>-replay writes its seeds into CORPUS_DIR/fuzz-<target>.
set -eu
corpus=$1
shift
for replay in "$@"; do
  name=$(basename "$replay" -replay)
  "$replay" --generate "$corpus/$name"
done
