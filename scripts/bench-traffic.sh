#!/usr/bin/env bash
# yarn bench:traffic: render and nginx -t one Nginx cluster of 5,000 sites (Debian's nginx).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/bootstrap.sh
. scripts/lib/system.sh
k2_bootstrap
k2_need_package nginx nginx "the nginx -t of the traffic benchmark" || exit 1
yarn workspace @internal/plugin-k2-traffic-backend bench:traffic
