#!/usr/bin/env bash
# Installs the release build as a server runs it, in one folder of its own:
#   DIR/safeguard                           the binary
#   DIR/Safeguard_SafeguardCore.resources/  the guidance packs and the password deny-list, which the binary reads
#                                           from beside itself (without them every command but --help stops at once)
#   DIR/Resources/, DIR/Public/             the pages' templates and assets, found beside the binary
# and links BIN_DIR/safeguard to it. Build first: swift build -c release.
# Usage: deploy/install.sh [DIR] [BIN_DIR]    (defaults /opt/safeguard and /usr/local/bin; run as root for those)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-/opt/safeguard}
BIN_DIR=${2:-/usr/local/bin}
BUILD=${SAFEGUARD_BUILD_DIR:-.build/release}
[ -x "$BUILD/safeguard" ] || { echo "install: no release binary at $BUILD/safeguard; run swift build -c release first" >&2; exit 1; }
bundles=("$BUILD"/*.resources)
[ -d "${bundles[0]}" ] || { echo "install: no resource bundle (*.resources) beside $BUILD/safeguard; run swift build -c release again" >&2; exit 1; }
install -d -m 0755 "$DIR" "$BIN_DIR"
# A new copy beside the old, then moved into place, so a running server never sees half an install.
install -m 0755 "$BUILD/safeguard" "$DIR/safeguard.new"
for bundle in "${bundles[@]}"; do
  name=$(basename "$bundle")
  rm -rf "$DIR/$name.new"; cp -r "$bundle" "$DIR/$name.new"
  rm -rf "$DIR/$name"; mv "$DIR/$name.new" "$DIR/$name"
done
for folder in Resources Public; do
  rm -rf "$DIR/$folder.new"; cp -r "$folder" "$DIR/$folder.new"
  rm -rf "$DIR/$folder"; mv "$DIR/$folder.new" "$DIR/$folder"
done
mv -f "$DIR/safeguard.new" "$DIR/safeguard"
cp README.md "$DIR/README.md"
ln -sfn "$DIR/safeguard" "$BIN_DIR/safeguard"
echo "Installed $DIR/safeguard (with its resources, templates and assets); $BIN_DIR/safeguard links to it."
