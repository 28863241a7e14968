#!/bin/sh
# Builds the PKCS#11 fault-injection module (native/pkcs11-fault) with the system C compiler
# into native/build/libkyso-fault.so and prints the absolute path of the library on stdout.
# Idempotent: recompiles only when a source file (or this script) is newer than the library.
#
# Environment:
#   CC                     compiler (default: cc)
#   KYSO_PKCS11_INCLUDE    directory holding the OASIS pkcs11.h / pkcs11t.h / pkcs11f.h
#                          (default: node_modules/pkcs11js/includes/pkcs11)
#   KYSO_NATIVE_FORCE=1    rebuild unconditionally
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(dirname -- "$here")
src_dir="$here/pkcs11-fault"
out_dir="$here/build"
out="$out_dir/libkyso-fault.so"
cc_bin=${CC:-cc}
inc=${KYSO_PKCS11_INCLUDE:-"$root/node_modules/pkcs11js/includes/pkcs11"}

if [ ! -f "$inc/pkcs11.h" ]; then
  echo "build.sh: PKCS#11 headers not found in $inc (run npm install, or set KYSO_PKCS11_INCLUDE)" >&2
  exit 2
fi
if ! command -v "$cc_bin" >/dev/null 2>&1; then
  echo "build.sh: C compiler '$cc_bin' not found" >&2
  exit 127
fi

stale=${KYSO_NATIVE_FORCE:-0}
if [ "$stale" != "1" ]; then
  stale=0
  if [ ! -f "$out" ]; then
    stale=1
  else
    for f in "$src_dir"/*.c "$src_dir"/*.h "$0"; do
      if [ -f "$f" ] && [ "$f" -nt "$out" ]; then
        stale=1
        break
      fi
    done
  fi
fi

if [ "$stale" = "1" ]; then
  mkdir -p "$out_dir"
  # Compile to a private temp name and rename, so concurrent builds never expose a partial file.
  tmp="$out_dir/.libkyso-fault.$$.so"
  trap 'rm -f "$tmp"' EXIT INT TERM
  # shellcheck disable=SC2086
  "$cc_bin" -shared -fPIC -O2 -Wall -Wextra -Werror -fvisibility=hidden -pthread \
    -I"$src_dir" -I"$inc" -o "$tmp" "$src_dir/fault.c" -ldl
  mv -f "$tmp" "$out"
  trap - EXIT INT TERM
  echo "build.sh: built $out" >&2
fi

echo "$out"
