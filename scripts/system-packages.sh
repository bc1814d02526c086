#!/usr/bin/env bash
# Installs the Debian packages the tracker needs, once. Usage: system-packages.sh run|test
set -euo pipefail
# libpq5: psycopg 3 (the job queue's driver, procrastinate) loads the system libpq.
run_packages=(fonts-noto-cjk fontconfig libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libpq5 python3-venv)
test_packages=(poppler-utils postgresql chromium)
packages=("${run_packages[@]}")
[ "${1:-run}" = test ] && packages+=("${test_packages[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a cluster on port 5432 that the tests do not use.
if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null; then
  $sudo pg_ctlcluster --skip-systemctl-redirect 15 main stop 2>/dev/null || true
fi
