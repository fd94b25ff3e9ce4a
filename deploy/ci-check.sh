#!/usr/bin/env bash
# What CI can check about deploy/ on a machine without a container engine or a running systemd:
#
#   1. the nginx site passes `nginx -t` (installs nginx if missing; a throwaway self-signed
#      certificate stands in for Let's Encrypt; /etc/nginx is never read or written);
#   2. the systemd units (the node, the nightly backup and its timer) pass `systemd-analyze verify`,
#      and the node's sandbox stays tight (`systemd-analyze security`), when systemd-analyze is installed;
#   3. the deploy files agree with the program's own defaults (port, body cap, config path);
#   4. compose.yaml is valid YAML and points at files that exist (when python3-yaml is there);
#   5. the Prometheus alert rules pass `promtool check rules` (promtool unpacked from Debian's package).
#
# Not checked here: building the image and running compose (no engine on CI), and TLS for real.
# One line per check on stdout; non-zero exit on the first failure. Everything it writes goes into
# one temp dir, removed on exit (installing nginx itself is the one lasting change).
set -euo pipefail

cd "$(dirname "$0")/.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sportnode-deploy-check.XXXXXX")
made_policy=""
# systemd-analyze, run as root, stamps this file; if it was not there before, cleanup removes it.
units_stamp=/run/systemd/systemd-units-load
had_units_stamp=""
if [ -e "$units_stamp" ]; then had_units_stamp=1; fi

cleanup() {
    rm -rf "$tmp"
    if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
    if [ -z "$had_units_stamp" ]; then rm -f "$units_stamp"; fi
}
trap cleanup EXIT

say() { echo "deploy: $*"; }
fail() { echo "deploy: FAILED: $*" >&2; exit 1; }

# --- 1. nginx -------------------------------------------------------------------------------------

find_nginx() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

# apt_install PACKAGE [FALLBACK]: install PACKAGE (or else FALLBACK) without prompts or hanging.
apt_updated=""
apt_install() {
    [ "$(id -u)" -eq 0 ] || fail "$1 is not installed and this is not root; install it first"
    command -v apt-get >/dev/null || fail "$1 is not installed and there is no apt-get"
    say "installing $1 (apt-get) ..."
    export DEBIAN_FRONTEND=noninteractive
    # Installing nginx must not start an nginx daemon on this machine (port 80, a stray process):
    # a policy-rc.d that says "no" stops packages from starting services. Ours only if none
    # exists, removed again on exit.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    # `timeout`: a slow mirror or a held dpkg lock must fail the job, not hang it.
    local apt=(timeout 300 apt-get -qq -o DPkg::Lock::Timeout=60)
    if [ -z "$apt_updated" ]; then
        "${apt[@]}" update >>"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; fail "apt-get update"; }
        apt_updated=1
    fi
    local package
    for package in "$@"; do
        if "${apt[@]}" install -y --no-install-recommends "$package" >>"$tmp/apt.log" 2>&1; then
            return 0
        fi
    done
    cat "$tmp/apt.log" >&2
    fail "apt-get install $*"
}

nginx_bin=$(find_nginx)
if [ -z "$nginx_bin" ]; then
    # `nginx` is the small core package on Debian 12+ and Ubuntu; `nginx-light` on older releases.
    apt_install nginx nginx-light
    nginx_bin=$(find_nginx)
    [ -n "$nginx_bin" ] || fail "nginx still not found after installing it"
fi
command -v openssl >/dev/null || apt_install openssl

# A one-day self-signed certificate in place of /etc/letsencrypt/live/EXAMPLE/.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=sport.example.nl \
    -keyout "$tmp/privkey.pem" -out "$tmp/fullchain.pem" >"$tmp/openssl.log" 2>&1 \
    || { cat "$tmp/openssl.log" >&2; fail "openssl could not make a test certificate"; }

sed -e "s#/etc/letsencrypt/live/EXAMPLE/#$tmp/#g" deploy/nginx/sportnode.conf > "$tmp/sportnode.conf"
# The placeholder must be where the operator guide says; if not, the substitution silently missed.
grep -Eq "^\s*ssl_certificate\s+$tmp/fullchain.pem;" "$tmp/sportnode.conf" \
    || fail "deploy/nginx/sportnode.conf has no ssl_certificate under /etc/letsencrypt/live/EXAMPLE/"

# The smallest main config around the site, with every path nginx may write inside $tmp:
# the pid file, logs, and the temp folders `nginx -t` creates.
mkdir -p "$tmp/logs"
cat > "$tmp/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events { worker_connections 64; }
http {
    access_log $tmp/logs/access.log;
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $tmp/sportnode.conf;
}
EOF

nginx_args=(-t -p "$tmp/" -c "$tmp/nginx.conf")
# -e (nginx >= 1.19.5) moves the startup error log too, which otherwise is /var/log/nginx/error.log.
if "$nginx_bin" -h 2>&1 | grep -q -- '-e filename'; then nginx_args+=(-e "$tmp/logs/error.log"); fi
if ! out=$("$nginx_bin" "${nginx_args[@]}" 2>&1); then
    echo "$out" >&2
    fail "nginx -t rejected deploy/nginx/sportnode.conf"
fi
# Warnings count as failures: they are how nginx says a directive is deprecated or ignored.
if grep -q '\[warn\]' <<<"$out"; then
    echo "$out" >&2
    fail "nginx -t warns about deploy/nginx/sportnode.conf"
fi
say "nginx -t ok ($("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //'))"

# --- 2. systemd unit ------------------------------------------------------------------------------

if command -v systemd-analyze >/dev/null 2>&1; then
    # verify insists that ExecStart's binary exists; /opt/sportnode is not installed on CI, so a
    # stub stands in for it. Everything else in the unit is checked as written.
    mkdir -p "$tmp/bin" "$tmp/unit"
    printf '#!/bin/sh\nexit 0\n' > "$tmp/bin/sportnode"
    chmod 755 "$tmp/bin/sportnode"
    sed "s#/opt/sportnode/.venv/bin/sportnode#$tmp/bin/sportnode#" deploy/sportnode.service \
        > "$tmp/unit/sportnode.service"
    grep -qx "ExecStart=$tmp/bin/sportnode serve --config /etc/sportnode/sportnode.toml" \
        "$tmp/unit/sportnode.service" \
        || fail "deploy/sportnode.service: ExecStart is not /opt/sportnode/.venv/bin/sportnode serve --config /etc/sportnode/sportnode.toml"
    if ! out=$(systemd-analyze verify "$tmp/unit/sportnode.service" 2>&1); then
        echo "$out" >&2
        fail "systemd-analyze verify rejected deploy/sportnode.service"
    fi
    # verify exits 0 on unknown keys or bad values it ignores; any message at all is a failure.
    if [ -n "$out" ]; then
        echo "$out" >&2
        fail "systemd-analyze verify complains about deploy/sportnode.service"
    fi
    say "systemd-analyze verify ok"

    # The nightly backup: its service (same stub for the program) and its timer, verified together.
    sed "s#/opt/sportnode/.venv/bin/sportnode#$tmp/bin/sportnode#" deploy/sportnode-backup.service \
        > "$tmp/unit/sportnode-backup.service"
    cp deploy/sportnode-backup.timer "$tmp/unit/"
    if ! out=$(systemd-analyze verify "$tmp/unit/sportnode-backup.service" "$tmp/unit/sportnode-backup.timer" 2>&1) \
        || [ -n "$out" ]; then
        echo "$out" >&2
        fail "systemd-analyze verify complains about deploy/sportnode-backup.service or .timer"
    fi
    say "systemd-analyze verify ok (backup service and timer)"

    # --offline (systemd >= 250) scores the unit file without a running systemd. The unit scores
    # about 1.1 of 10; the threshold (in tenths) fails the check if someone loosens the sandbox.
    if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
        if ! out=$(systemd-analyze security --offline=yes --threshold=20 "$tmp/unit/sportnode.service" 2>&1); then
            echo "$out" | tail -n 5 >&2
            fail "deploy/sportnode.service: sandbox exposure above 2.0 (systemd-analyze security)"
        fi
        say "systemd-analyze security ok ($(grep -o 'exposure level.*' <<<"$out" | sed 's/.*: //'))"
    else
        say "systemd-analyze security --offline not supported here, sandbox score not checked"
    fi
else
    say "systemd-analyze not installed, unit not checked"
fi

# --- 3. deploy files agree with the program -------------------------------------------------------

# node/config.py uses only the standard library (tomllib: Python >= 3.11), so it loads without
# the project's dependencies installed.
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    values=$(python3 -c '
import importlib.util, sys
# Load the one file, not the package: node/__init__.py may grow imports of installed packages.
spec = importlib.util.spec_from_file_location("sportnode_config", "node/config.py")
config = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = config  # dataclasses look their module up there
spec.loader.exec_module(config)
defaults = {(s, k): d for s, k, _, d in config.SETTINGS}
print(defaults[("server", "port")], defaults[("limits", "max_body_bytes")], config.DEFAULT_CONFIG_PATH)
') || fail "could not read the defaults from node/config.py"
    read -r port body config_path <<<"$values"
    [ "$body" -eq 1048576 ] \
        || fail "max_body_bytes default is $body; change client_max_body_size in deploy/nginx/sportnode.conf to match"
    grep -q '^ *client_max_body_size 1m;' deploy/nginx/sportnode.conf \
        || fail "deploy/nginx/sportnode.conf: client_max_body_size is not 1m (= max_body_bytes 1048576)"
    grep -q "^ *proxy_pass http://127.0.0.1:$port;" deploy/nginx/sportnode.conf \
        || fail "deploy/nginx/sportnode.conf: proxy_pass is not http://127.0.0.1:$port (the default port)"
    grep -q "127.0.0.1:$port/" deploy/Containerfile deploy/compose.yaml \
        || fail "deploy/Containerfile / compose.yaml: health check not on port $port"
    grep -qx "ExecStart=/opt/sportnode/.venv/bin/sportnode serve --config $config_path" deploy/sportnode.service \
        || fail "deploy/sportnode.service: ExecStart does not serve the default config $config_path"
    grep -qxF "CMD [\"serve\", \"--config\", \"$config_path\"]" deploy/Containerfile \
        || fail "deploy/Containerfile: CMD does not serve the default config $config_path"
    say "deploy files agree with node/config.py (port $port, body cap $body bytes, $config_path)"
else
    say "python3 >= 3.11 not found, deploy/config consistency not checked"
fi

# --- 4. compose.yaml ------------------------------------------------------------------------------

if python3 -c 'import yaml' 2>/dev/null; then
    python3 - <<'EOF' || fail "deploy/compose.yaml"
import os, sys, yaml
with open("deploy/compose.yaml") as f:
    compose = yaml.safe_load(f)
services = compose["services"]
build = services["node"]["build"]
# Relative paths in a compose file are relative to its own folder.
dockerfile = os.path.join("deploy", build["context"], build["dockerfile"])
missing = [dockerfile] if not os.path.isfile(dockerfile) else []
for volume in services["nginx"]["volumes"]:
    source = volume.split(":")[0]
    if source.startswith("./") and not os.path.exists(os.path.join("deploy", source)):
        missing.append(source)
# nginx proxies to 127.0.0.1:8080, so nginx and the node must share one network namespace.
modes = {services[name].get("network_mode") for name in ("node", "nginx")}
if len(modes) != 1 or not str(next(iter(modes))).startswith("service:"):
    sys.exit(f"deploy/compose.yaml: node and nginx must share one network_mode: service:X, not {modes}")
if missing:
    sys.exit(f"deploy/compose.yaml refers to missing files: {missing}")
EOF
    say "compose.yaml ok (parses, its files exist, node and nginx share a network namespace)"
else
    say "python3-yaml not installed, compose.yaml not checked"
fi

# --- 5. Prometheus alert rules --------------------------------------------------------------------

# promtool comes with Debian's prometheus package; unpacked into $tmp, never installed (installing
# would start a Prometheus server on this machine).
promtool=$(command -v promtool || true)
if [ -z "$promtool" ] && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
    if (cd "$tmp" && timeout 300 apt-get download -qq prometheus >>"$tmp/apt.log" 2>&1); then
        dpkg -x "$tmp"/prometheus_*.deb "$tmp/prometheus" && promtool="$tmp/prometheus/usr/bin/promtool"
    fi
fi
if [ -n "$promtool" ]; then
    out=$("$promtool" check rules deploy/monitoring/alerts.yml 2>&1) || { echo "$out" >&2; fail "deploy/monitoring/alerts.yml"; }
    say "promtool check rules ok ($(grep -o '[0-9]* rules found' <<<"$out"))"
else
    say "promtool not available, alert rules not checked"
fi
