#!/usr/bin/env bash
# Installs and starts what the tests need on a Debian machine, when it is missing: Chromium, Firefox ESR, Python's
# cryptography and argon2, two independent zip readers, a single-node Ceph for the S3 tests, and a Postgres on
# 127.0.0.1:5432 that lets the user postgres in without a password. Run by `npm run test:all` (and so by .ci/run); as
# root it runs apt-get and pg_ctlcluster itself, otherwise through sudo.
set -euo pipefail

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The share-link page is also tested as a stranger opens it in Firefox (tests/e2e/links-firefox.test.ts).
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ -x /usr/bin/python3 ] || missing+=(python3)
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || missing+=(python3-cryptography)
# Argon2's reference C code, to check the passphrase vectors (tests/interop/python.test.ts).
/usr/bin/python3 -c 'import argon2' 2>/dev/null || missing+=(python3-argon2)
[ -x /usr/bin/ceph-mon ] || missing+=(ceph-mon)
[ -x /usr/bin/ceph-osd ] || missing+=(ceph-osd)
[ -x /usr/bin/radosgw ] || missing+=(radosgw)
[ -x /usr/bin/ceph ] || missing+=(ceph-common)
# Independent zip readers for the streamed-zip tests (tests/zip), beside Python's zipfile.
[ -x /usr/bin/unzip ] || missing+=(unzip)
[ -x /usr/bin/bsdtar ] || missing+=(libarchive-tools)
new_postgres=false
if ! ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
  missing+=(postgresql)
  new_postgres=true
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The server tests use a real Postgres on 127.0.0.1:5432 as the user postgres, without a password (a throwaway test
# machine; see tools/harness/test-databases.ts).
pg_version=$(ls /etc/postgresql | sort -V | tail -n 1)
if $new_postgres; then
  "${as_root[@]}" sed -i '1i host all postgres 127.0.0.1/32 trust' "/etc/postgresql/$pg_version/main/pg_hba.conf"
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting Postgres $pg_version"
  "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
