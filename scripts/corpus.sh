#!/bin/sh
# Builds the training corpus (`make corpus`): the python3 standard library of this machine plus the
# Python sources of a set of permissively licensed Debian packages, which this script installs when
# they are missing (never the build or `make check`).
#
# Which files: every regular .py file, except those below a directory named test, tests, testing,
# idle_test, site-packages, dist-packages (inside the stdlib) or _vendor (copies of other projects).
# A package file whose bytes already appeared earlier (in the stdlib or a package listed before) is
# dropped, so a module vendored or shipped twice counts once; the stdlib is kept as it is.
#
# Held out, two ways:
#  1. every 20th file: the stdlib files sorted in C-locale byte order and numbered from 1 (the same
#     split as before the packages were added, so figures stay comparable), then each package's files
#     numbered the same way on their own;
#  2. whole packages the model never sees (HELDOUT_PACKAGES below).
#
# Writes into OUT (default corpus/):
#   train.list, heldout.list       absolute paths, one a line (heldout = rule 1, every source)
#   heldout-stdlib.list            rule 1 restricted to the stdlib (the split of the first model)
#   heldout-packages.list          rule 2
#   heldout.txt, heldout-stdlib.txt, heldout-packages.txt   those files concatenated
#   MANIFEST                       counts, bytes and checksums
#   SOURCES.tsv                    each source: package, version, licence, files, bytes, copyright sha256
# Set CORPUS_PACKAGES=none for the stdlib alone (the first model's corpus).
set -eu
export LC_ALL=C
OUT=${1:-corpus}
PY=${PYTHON:-python3}

# package licence (the upstream licence, as /usr/share/doc/PACKAGE/copyright states it). All are
# permissive: BSD, MIT (Expat), Apache-2.0, or matplotlib's PSF-style licence.
TRAIN_PACKAGES="
python3-django BSD-3-Clause
python3-sympy BSD-3-Clause
python3-pygments BSD-2-Clause
python3-sqlalchemy MIT
python3-twisted MIT
python3-networkx BSD-3-Clause
python3-pandas BSD-3-Clause
python3-matplotlib PSF-style-matplotlib
python3-setuptools MIT
python3-pip MIT
python3-jinja2 BSD-3-Clause
python3-werkzeug BSD-3-Clause
python3-requests Apache-2.0
python3-urllib3 MIT
python3-attr MIT
python3-babel BSD-3-Clause
python3-tornado Apache-2.0
"
HELDOUT_PACKAGES="
python3-flask BSD-3-Clause
python3-click BSD-3-Clause
"
if [ "${CORPUS_PACKAGES:-all}" = none ]; then TRAIN_PACKAGES=""; HELDOUT_PACKAGES=""; fi

STDLIB=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
STDLIB=$(cd "$STDLIB" && pwd -P)
VERSION=$("$PY" -c 'import sys; print(sys.version.split()[0])')
[ -d "$STDLIB" ] || { echo "corpus.sh: no stdlib folder at $STDLIB" >&2; exit 1; }

# Install the packages that are missing.
names() { printf '%s\n' "$1" | awk 'NF { print $1 }'; }
missing=""
for p in $(names "$TRAIN_PACKAGES") $(names "$HELDOUT_PACKAGES"); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "corpus.sh: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

mkdir -p "$OUT"
WORK="$OUT/.work.$$"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

# keep_py ROOT: reads absolute paths, keeps regular .py files outside the excluded folders (judged by
# the path below ROOT, so a root that itself sits under a folder named "test" still counts), sorted.
keep_py() {
  awk -v root="$1/" '
    index($0, root) != 1 || $0 !~ /\.py$/ { next }
    {
      rel = substr($0, length(root) + 1); n = split(rel, part, "/")
      for (i = 1; i < n; i++)
        if (part[i] == "test" || part[i] == "tests" || part[i] == "testing" ||
            part[i] == "idle_test" || part[i] == "site-packages" ||
            part[i] == "dist-packages" || part[i] == "_vendor") next
      print
    }' |
    while IFS= read -r f; do [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\n' "$f"; done |
    sort -u
}

# Source lists: stdlib first, then each package; SOURCES.work holds "kind name version licence".
find "$STDLIB" -type f -name '*.py' | keep_py "$STDLIB" >"$WORK/src.0"
printf 'train stdlib python-%s PSF-2.0\n' "$VERSION" >"$WORK/sources"
add_packages() { # KIND LIST
  printf '%s\n' "$2" | awk 'NF' | while read -r pkg lic; do
    ver=$(dpkg-query -W -f='${Version}' "$pkg")
    dpkg -L "$pkg" | keep_py /usr/lib/python3/dist-packages >"$WORK/src.$1.$pkg"
    printf '%s %s %s %s\n' "$1" "$pkg" "$ver" "$lic" >>"$WORK/sources"
  done
}
add_packages train "$TRAIN_PACKAGES"
add_packages heldout "$HELDOUT_PACKAGES"

# Deduplicate by content across all sources, in source order; then split.
: >"$WORK/seen"
: >"$OUT/train.list.tmp"
: >"$OUT/heldout.list.tmp"
: >"$OUT/heldout-stdlib.list.tmp"
: >"$OUT/heldout-packages.list.tmp"
printf 'kind\tsource\tversion\tlicence\tfiles\tbytes\tduplicates_dropped\tcopyright_sha256\n' >"$OUT/SOURCES.tsv.tmp"
while read -r kind name ver lic; do
  if [ "$name" = stdlib ]; then list="$WORK/src.0"; else list="$WORK/src.$kind.$name"; fi
  # sha256 path, one a line, in the list's order; keep the first of each checksum.
  tr '\n' '\0' <"$list" | xargs -0 -r sha256sum | sed 's/^\\//' >"$WORK/sums"
  if [ "$name" = stdlib ]; then
    cp "$WORK/sums" "$WORK/fresh" # as the first model saw it, so its held-out split is unchanged
  else
    awk 'NR == FNR { seen[$1] = 1; next } !($1 in seen) { seen[$1] = 1; print }' \
      "$WORK/seen" "$WORK/sums" >"$WORK/fresh"
  fi
  cut -d' ' -f1 "$WORK/fresh" >>"$WORK/seen"
  sed 's/^[0-9a-f]*  //' "$WORK/fresh" >"$WORK/files"
  dropped=$(($(wc -l <"$WORK/sums") - $(wc -l <"$WORK/files")))
  if [ "$kind" = heldout ]; then
    cat "$WORK/files" >>"$OUT/heldout-packages.list.tmp"
  else
    awk -v train="$OUT/train.list.tmp" -v held="$OUT/heldout.list.tmp" \
      '{ if (NR % 20 == 0) print >> held; else print >> train }' "$WORK/files"
    [ "$name" = stdlib ] && awk 'NR % 20 == 0' "$WORK/files" >"$OUT/heldout-stdlib.list.tmp"
  fi
  bytes=$(tr '\n' '\0' <"$WORK/files" | xargs -0 -r cat | wc -c)
  copyright=-
  [ -f "/usr/share/doc/$name/copyright" ] &&
    copyright=$(sha256sum <"/usr/share/doc/$name/copyright" | cut -d' ' -f1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$name" "$ver" "$lic" \
    "$(wc -l <"$WORK/files")" "$bytes" "$dropped" "$copyright" >>"$OUT/SOURCES.tsv.tmp"
done <"$WORK/sources"

for l in train heldout heldout-stdlib heldout-packages; do mv "$OUT/$l.list.tmp" "$OUT/$l.list"; done
mv "$OUT/SOURCES.tsv.tmp" "$OUT/SOURCES.tsv"
for l in heldout heldout-stdlib heldout-packages; do
  tr '\n' '\0' <"$OUT/$l.list" | xargs -0 -r cat >"$OUT/$l.txt.tmp"
  mv "$OUT/$l.txt.tmp" "$OUT/$l.txt"
done

bytes_of() { tr '\n' '\0' <"$1" | xargs -0 -r cat | wc -c; }
sha_of() { sha256sum <"$1" | cut -d' ' -f1; }
{
  echo "python $VERSION"
  echo "stdlib $STDLIB"
  echo "sources $(($(wc -l <"$OUT/SOURCES.tsv") - 1))"
  echo "train_files $(wc -l <"$OUT/train.list")"
  echo "heldout_files $(wc -l <"$OUT/heldout.list")"
  echo "heldout_stdlib_files $(wc -l <"$OUT/heldout-stdlib.list")"
  echo "heldout_packages_files $(wc -l <"$OUT/heldout-packages.list")"
  echo "train_bytes $(bytes_of "$OUT/train.list")"
  echo "heldout_bytes $(bytes_of "$OUT/heldout.list")"
  echo "heldout_stdlib_bytes $(bytes_of "$OUT/heldout-stdlib.list")"
  echo "heldout_packages_bytes $(bytes_of "$OUT/heldout-packages.list")"
  for l in train heldout heldout-stdlib heldout-packages; do
    echo "$(echo "$l" | tr - _)_list_sha256 $(sha_of "$OUT/$l.list")"
  done
  for l in heldout heldout-stdlib heldout-packages; do
    echo "$(echo "$l" | tr - _)_txt_sha256 $(sha_of "$OUT/$l.txt")"
  done
  echo "sources_tsv_sha256 $(sha_of "$OUT/SOURCES.tsv")"
} >"$OUT/MANIFEST"
cat "$OUT/MANIFEST"
