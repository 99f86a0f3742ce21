#!/bin/sh
# Micro-benchmark of the transport crypto primitives (issue 8): old vs new
# per primitive, MB per CPU second on 32 KiB buffers. Needs `make` to have
# built the dependencies (the patched libtomcrypt and BearSSL with musl).
#   bench/crypto.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${DEPS:-$ROOT/build/deps}
DB=$DEPS/musl/dropbear
out=$(mktemp); trap 'rm -f "$out"' EXIT
for f in "$DB/libtomcrypt/libtomcrypt.a" "$DEPS/musl/bearssl/libbearssl.a"; do
	[ -f "$f" ] || { echo "missing $f: run make first" >&2; exit 1; }
done
${MUSL_CC:-musl-gcc} -O2 -static -DLOCALOPTIONS_H_EXISTS -DDROPBEAR_SERVER \
	-I"$DB" -I"$DEPS/src/dropbear" -I"$DEPS/src/dropbear/libtomcrypt/src/headers" \
	-I"$DEPS/src/bearssl/inc" -I"$ROOT/common" \
	-idirafter /usr/include -idirafter /usr/include/x86_64-linux-gnu \
	-o "$out" "$ROOT/bench/crypto_micro.c" "$ROOT/common/sha256_x86.c" \
	"$ROOT/common/poly1305.c" "$ROOT/common/chacha20_avx2.c" "$ROOT/common/cpufeat.c" \
	"$DB/libtomcrypt/libtomcrypt.a" "$DEPS/musl/bearssl/libbearssl.a"
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$out"
