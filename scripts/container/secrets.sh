#!/usr/bin/env bash
# Strong secrets for docker-compose.yml, written once into DIR (default ./secrets, mode 600):
#   skinsight.env  SKINSIGHT_JWT_SECRET (64 random bytes), SKINSIGHT_DATABASE_URL, SKINSIGHT_API_KEYS
#   postgres.env   POSTGRES_PASSWORD (the one in that URL)
# Existing files are kept, so rerunning never logs anyone out. Add site settings to skinsight.env.
set -euo pipefail
dir="${1:-./secrets}"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
rand() { head -c "$1" /dev/urandom | base64 | tr -d '\n/+=' ; }
if [ ! -f "$dir/skinsight.env" ] || [ ! -f "$dir/postgres.env" ]; then
  pg_password="$(rand 32)"
  cat >"$dir/skinsight.env" <<ENV
SKINSIGHT_JWT_SECRET=$(rand 64)
SKINSIGHT_DATABASE_URL=postgres://skinsight:$pg_password@postgres:5432/skinsight
SKINSIGHT_API_KEYS=$(rand 32)
ENV
  printf 'POSTGRES_PASSWORD=%s\n' "$pg_password" >"$dir/postgres.env"
fi
echo "$dir/skinsight.env $dir/postgres.env"
