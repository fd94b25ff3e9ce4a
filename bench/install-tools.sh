#!/usr/bin/env bash
# `make bench` needs wrk (the load generator that is not the bottleneck) and Chromium (page weight):
# Debian's packages, installed when missing and we may (root with apt-get). Otherwise says what is used.
set -u
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    [ -f /tmp/.sportnode-apt-updated ] || { timeout 300 apt-get update -qq && touch /tmp/.sportnode-apt-updated; }
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
echo "make bench: could not install ${missing[*]}: without wrk the Python load generator runs (and may be the bottleneck)," \
     "without Chromium the page weight is not measured" >&2
