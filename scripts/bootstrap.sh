#!/usr/bin/env bash
# Installs what the server, its tests and its demo need on a Debian machine:
# Debian packages (as root), then a virtualenv in .venv with the project and its dev tools.
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
command -v sipp >/dev/null || need_pkgs+=(sip-tester)
command -v redis-server >/dev/null || need_pkgs+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_pkgs+=(postgresql)
python3 -m venv --help >/dev/null 2>&1 || need_pkgs+=(python3-venv)
command -v chromium >/dev/null || need_pkgs+=(chromium)  # the pages' tests (tests/web)
command -v npm >/dev/null || need_pkgs+=(nodejs npm)  # the pages' JsSIP bundle
command -v promtool >/dev/null || need_pkgs+=(prometheus)  # the rules' and dashboards' tests

if ((${#need_pkgs[@]})); then
  if [[ $(id -u) != 0 ]]; then
    echo "bootstrap: missing Debian packages: ${need_pkgs[*]}; run as root (or install them)" >&2
    exit 2
  fi
  echo "bootstrap: installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  # The Debian packages start system services; the tests and the lab start their own.
  for svc in redis-server postgresql prometheus; do
    command -v systemctl >/dev/null && systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [[ ! -f $stamp ]]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
# The pages' JavaScript dependencies, from the lockfile, and the bundle they load
# (cti/web/build/: generated, never committed).
npm_stamp=node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)
if [[ ! -f $npm_stamp ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$npm_stamp"
fi
if [[ ! -f cti/web/build/jssip.js || cti/web/build/jssip.js -ot $npm_stamp ||
      cti/web/build/jssip.js -ot cti/web/src/jssip.js ]]; then
  npm run -s build --loglevel=error >/dev/null
fi
echo "bootstrap: ready"
