#!/bin/sh
# Builds the training corpus from this machine's python3 standard library (`make corpus`).
# Every .py file under the stdlib folder, except those below a directory named test, tests,
# idle_test, site-packages or dist-packages; sorted in C-locale byte order and numbered from 1;
# every file whose number is a multiple of 20 is held out.
# Writes corpus/train.list and corpus/heldout.list (absolute paths, one a line), corpus/heldout.txt
# (the held-out files concatenated) and corpus/MANIFEST.
set -eu
export LC_ALL=C
OUT=${1:-corpus}
PY=${PYTHON:-python3}

STDLIB=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
STDLIB=$(cd "$STDLIB" && pwd -P)
VERSION=$("$PY" -c 'import sys; print(sys.version.split()[0])')
[ -d "$STDLIB" ] || { echo "corpus.sh: no stdlib folder at $STDLIB" >&2; exit 1; }

mkdir -p "$OUT"
TMP="$OUT/.all.$$"
trap 'rm -f "$TMP"' EXIT

# Paths relative to the stdlib folder decide the exclusions, so a stdlib that itself lives under a
# folder named "test" still counts.
(cd "$STDLIB" && find . -type f -name '*.py') |
  awk -F/ '{
      for (i = 2; i < NF; i++)
        if ($i == "test" || $i == "tests" || $i == "idle_test" ||
            $i == "site-packages" || $i == "dist-packages") next
      print substr($0, 3)
    }' |
  sort |
  awk -v root="$STDLIB" '{ print root "/" $0 }' >"$TMP"

awk -v train="$OUT/train.list" -v held="$OUT/heldout.list" \
  '{ if (NR % 20 == 0) print > held; else print > train }' "$TMP"

: >"$OUT/heldout.txt.tmp"
while IFS= read -r f; do cat "$f" >>"$OUT/heldout.txt.tmp"; done <"$OUT/heldout.list"
mv "$OUT/heldout.txt.tmp" "$OUT/heldout.txt"

bytes_of() { # total size of the files a list names
  total=0
  while IFS= read -r f; do total=$((total + $(wc -c <"$f"))); done <"$1"
  echo "$total"
}

{
  echo "python $VERSION"
  echo "stdlib $STDLIB"
  echo "files $(wc -l <"$TMP")"
  echo "train_files $(wc -l <"$OUT/train.list")"
  echo "heldout_files $(wc -l <"$OUT/heldout.list")"
  echo "train_bytes $(bytes_of "$OUT/train.list")"
  echo "heldout_bytes $(bytes_of "$OUT/heldout.list")"
  echo "train_list_sha256 $(sha256sum <"$OUT/train.list" | cut -d' ' -f1)"
  echo "heldout_list_sha256 $(sha256sum <"$OUT/heldout.list" | cut -d' ' -f1)"
  echo "heldout_txt_sha256 $(sha256sum <"$OUT/heldout.txt" | cut -d' ' -f1)"
} >"$OUT/MANIFEST"
cat "$OUT/MANIFEST"
