#!/usr/bin/env bash
# Re-vendors the map's browser libraries from the npm registry into node/web/static/vendor/:
#   scripts/refresh-vendor.sh [LEAFLET_VERSION] [MARKERCLUSTER_VERSION]
# Only the release files a page loads are kept (the global builds, their CSS and images), renamed to
# stable names so that templates need no change, with the package's LICENSE and a VERSION file that
# records the npm tarball's integrity and shasum. docs/web.md ("Map") describes when and how to run it.
set -euo pipefail

LEAFLET_VERSION="${1:-1.9.4}"
MARKERCLUSTER_VERSION="${2:-2.0.0}"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$ROOT/node/web/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "refresh-vendor: npm is needed (apt-get install npm)" >&2; exit 1; }
command -v node >/dev/null || { echo "refresh-vendor: node is needed" >&2; exit 1; }

# npm pack checks the tarball against the registry's integrity; its JSON report gives us both digests.
fetch() {  # fetch NAME VERSION -> unpacks into $WORK/NAME/package, writes $WORK/NAME/pack.json
    local name="$1" version="$2"
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && npm pack "$name@$version" --json --silent --no-fund --no-audit > pack.json)
    tar -xzf "$WORK/$name"/*.tgz -C "$WORK/$name"
}

field() {  # field NAME KEY -> a string field of the npm pack report
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0];
             process.stdout.write(String(r[process.argv[2]]));' "$WORK/$1/pack.json" "$2"
}

license_file() {  # license_file NAME -> the package's own license file, if it ships one
    find "$WORK/$1/package" -maxdepth 1 -type f \
        \( -iname 'LICENSE*' -o -iname 'LICENCE*' -o -iname '*-LICENSE*' -o -iname '*-LICENCE*' \) | head -n 1
}

# A package without a license file (leaflet.markercluster 2.0.0 ships none): its package.json must say
# MIT, and the LICENSE is the MIT text with the copyright line of the release file's own banner.
mit_license_from_banner() {  # mit_license_from_banner NAME JSFILE OUT
    local name="$1" js="$2" out="$3" spdx copyright
    spdx="$(node -e 'process.stdout.write(String(require(process.argv[1]).license))' "$WORK/$name/package/package.json")"
    if [ "$spdx" != "MIT" ]; then
        echo "refresh-vendor: $name ships no license file and is licensed $spdx, not MIT; add its text by hand" >&2
        exit 1
    fi
    copyright="$(head -n 5 "$js" | grep -o '(c) .*' | head -n 1 | sed 's/^(c)/Copyright (c)/')"
    [ -n "$copyright" ] || { echo "refresh-vendor: no copyright line in $js" >&2; exit 1; }
    cat > "$out" <<MIT
$copyright

Permission is hereby granted, free of charge, to any person obtaining
a copy of this software and associated documentation files (the
"Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to
the following conditions:

The above copyright notice and this permission notice shall be
included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
MIT
}

write_version() {  # write_version NAME DEST "vendored-name <- tarball-path" ...
    local name="$1" dest="$2"; shift 2
    {
        echo "name: $name"
        echo "version: $(field "$name" version)"
        echo "tarball: $(field "$name" filename) (npm pack $name@$(field "$name" version))"
        echo "integrity: $(field "$name" integrity)"
        echo "shasum: $(field "$name" shasum)"
        echo "license: $(node -e 'process.stdout.write(String(require(process.argv[1]).license))' "$WORK/$name/package/package.json")"
        echo "files:"
        for mapping in "$@"; do echo "  $mapping"; done
        echo "refresh: scripts/refresh-vendor.sh (see docs/web.md, Map)"
    } > "$dest/VERSION"
}

# --- Leaflet: the global build, its CSS and the images that CSS points at ---
fetch leaflet "$LEAFLET_VERSION"
src="$WORK/leaflet/package"
dest="$VENDOR/leaflet"
rm -rf "$dest" && mkdir -p "$dest/images"
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$dest/"
cp "$src"/dist/images/*.png "$dest/images/"
lic="$(license_file leaflet)"
[ -n "$lic" ] || { echo "refresh-vendor: leaflet ships no license file" >&2; exit 1; }
cp "$lic" "$dest/LICENSE"
write_version leaflet "$dest" \
    "leaflet.js <- dist/leaflet.js" "leaflet.css <- dist/leaflet.css" "images/*.png <- dist/images/*.png" \
    "LICENSE <- $(basename "$lic")"

# --- Leaflet.markercluster: 2.x ships a global build beside its ES module; 1.x only a global build ---
fetch leaflet.markercluster "$MARKERCLUSTER_VERSION"
src="$WORK/leaflet.markercluster/package"
dest="$VENDOR/leaflet.markercluster"
rm -rf "$dest" && mkdir -p "$dest"
if [ -f "$src/dist/leaflet.markercluster-global.js" ]; then
    js="dist/leaflet.markercluster-global.js"
else
    js="dist/leaflet.markercluster.js"
fi
cp "$src/$js" "$dest/leaflet.markercluster.js"
mappings=("leaflet.markercluster.js <- $js")
for css in MarkerCluster.css MarkerCluster.Default.css; do
    if [ -f "$src/dist/$css" ]; then
        cp "$src/dist/$css" "$dest/"
        mappings+=("$css <- dist/$css")
    fi
done
lic="$(license_file leaflet.markercluster)"
if [ -n "$lic" ]; then
    cp "$lic" "$dest/LICENSE"
    mappings+=("LICENSE <- $(basename "$lic")")
else
    mit_license_from_banner leaflet.markercluster "$src/$js" "$dest/LICENSE"
    mappings+=("LICENSE <- MIT (package.json) with the copyright line of $js; the tarball has no license file")
fi
write_version leaflet.markercluster "$dest" "${mappings[@]}"

echo "vendored leaflet $(field leaflet version) and leaflet.markercluster $(field leaflet.markercluster version) into $VENDOR"
