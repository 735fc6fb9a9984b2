#!/bin/sh
# OpenSSL interop for the Ed25519 host tests.
#   gen_openssl_vectors.sh gen OUT [N]   N fresh OpenSSL key pairs, each signing a
#                                        random message, as "name - pub msg sig" hex
#                                        lines for ed25519_test.
#   gen_openssl_vectors.sh check FILE    re-derive each vector's public key and
#                                        signature from its seed with OpenSSL
#                                        (Ed25519 signing is deterministic), so a
#                                        typo in the transcribed RFC vectors shows
#                                        up here; prints TAP-style lines.
set -eu

hex() { od -An -v -tx1 | tr -d ' \n'; }
# dash's printf builtin lacks \x escapes; coreutils' printf (via xargs) has them.
unhex() { printf '%s' "$1" | sed 's/../\\x&/g' | xargs -0 printf; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case "${1:-}" in
gen)
	out=$2
	n=${3:-32}
	: > "$out.tmp"
	i=1
	while [ "$i" -le "$n" ]; do
		openssl genpkey -algorithm ed25519 -out "$tmp/key.pem" 2>/dev/null
		# Lengths cover 1 byte, SHA-512 block edges and a multi-block message;
		# OpenSSL 3.0's pkeyutl -rawin cannot sign an empty input.
		case $i in
		1) len=1 ;; 2) len=63 ;; 3) len=64 ;; 4) len=128 ;; 5) len=4096 ;;
		*) len=$(( $(od -An -N2 -tu2 /dev/urandom) % 600 + 1 )) ;;
		esac
		head -c "$len" /dev/urandom > "$tmp/msg"
		openssl pkeyutl -sign -rawin -inkey "$tmp/key.pem" -in "$tmp/msg" -out "$tmp/sig"
		pub=$(openssl pkey -in "$tmp/key.pem" -pubout -outform DER | tail -c 32 | hex)
		echo "openssl$i - $pub $(hex < "$tmp/msg") $(hex < "$tmp/sig")" >> "$out.tmp"
		i=$((i + 1))
	done
	mv "$out.tmp" "$out"
	;;
check)
	t=0
	grep -v '^#' "$2" | while read -r name seed pub msg sig; do
		[ -n "$name" ] || continue
		# A PKCS#8 wrapper around the raw 32-byte seed (RFC 8410).
		unhex "302e020100300506032b657004220420$seed" > "$tmp/key.der"
		openssl pkey -inform DER -in "$tmp/key.der" -out "$tmp/key.pem"
		got=$(openssl pkey -in "$tmp/key.pem" -pubout -outform DER | tail -c 32 | hex)
		t=$((t + 1))
		if [ "$got" = "$pub" ]; then echo "ok $t - $name: OpenSSL derives the same public key"
		else echo "not ok $t - $name: OpenSSL derives public key $got"; fi
		if [ "$msg" = - ]; then
			continue	# pkeyutl -rawin refuses empty input
		fi
		unhex "$msg" > "$tmp/msg"
		got=$(openssl pkeyutl -sign -rawin -inkey "$tmp/key.pem" -in "$tmp/msg" | hex)
		t=$((t + 1))
		if [ "$got" = "$sig" ]; then echo "ok $t - $name: OpenSSL makes the same signature"
		else echo "not ok $t - $name: OpenSSL signature differs: $got"; fi
	done
	;;
*)
	echo "usage: $0 gen OUT [N] | check FILE" >&2
	exit 2
	;;
esac
