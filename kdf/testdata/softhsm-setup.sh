#!/usr/bin/env bash
# softhsm-setup.sh DIR [TOKEN_LABEL] [USER_PIN] [SO_PIN]
#
# Creates a private SoftHSM2 configuration under DIR (DIR/softhsm2.conf with
# its token directory DIR/tokens) and initialises one token in it, without
# touching the system configuration (/etc/softhsm). Any previous tokens in
# DIR/tokens are removed, so every run starts from a clean token.
#
# Defaults: token "rustfs-test", user PIN 1234, SO PIN 5678 (test values:
# PINs on a command line are visible in ps).
#
# It prints nothing on success; use the token with
#   export SOFTHSM2_CONF=DIR/softhsm2.conf
# Errors go to stderr with a non-zero exit status.
set -euo pipefail

if [[ $# -lt 1 || -z "$1" ]]; then
	echo "usage: $0 DIR [TOKEN_LABEL] [USER_PIN] [SO_PIN]" >&2
	exit 2
fi
dir=$1
label=${2:-rustfs-test}
pin=${3:-1234}
sopin=${4:-5678}

if ! command -v softhsm2-util >/dev/null 2>&1; then
	echo "softhsm-setup: softhsm2-util not found (apt-get install -y softhsm2)" >&2
	exit 1
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/tokens"
mkdir -m 0700 "$dir/tokens"
cat >"$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
CONF
chmod 0600 "$dir/softhsm2.conf"

export SOFTHSM2_CONF="$dir/softhsm2.conf"
if ! out=$(softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$sopin" 2>&1); then
	echo "softhsm-setup: init token failed: $out" >&2
	exit 1
fi
