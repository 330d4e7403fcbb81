#!/usr/bin/env bash
# The npm path end to end, from this repository's own packages: build the release binary, pack
# the launcher (with its Docusaurus plugin) and the linux-x64-gnu package, create a fresh
# Docusaurus site (classic template, pinned), install the two tarballs, and run `npm run build`
# with no cargo on PATH: once with the `postbuild` script, once with the plugin. Every HTML page
# must have the widget, `--check` must pass, and a failing plugin run must fail the build.
#
# Downloads are cached in $CHATKIT_INJECT_NPM_E2E_CACHE (default ~/.cache/chatkit-inject-npm-e2e).
# KEEP=1 keeps the work folder.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
DOCUSAURUS_VERSION=3.10.2
cache=${CHATKIT_INJECT_NPM_E2E_CACHE:-$HOME/.cache/chatkit-inject-npm-e2e}
export npm_config_cache="$cache/npm" npm_config_update_notifier=false npm_config_fund=false \
  npm_config_audit=false npm_config_prefer_offline=true
work=$(mktemp -d /tmp/chatkit-inject-npm-e2e.XXXXXX)
cleanup() {
  local s
  s=$(date +%s)
  rm -rf "$work"
  echo "[e2e] work folder removed in $(($(date +%s) - s))s"
}
if [ "${KEEP:-}" = 1 ]; then echo "[e2e] work folder: $work"; else trap cleanup EXIT; fi

t0=$(date +%s)
timings=()
step() { # step NAME COMMAND...: runs it, records its time
  local name=$1 s
  shift
  s=$(date +%s)
  echo "[e2e] $name"
  "$@"
  timings+=("$(printf '%-28s %4ss' "$name" $(($(date +%s) - s)))")
}

build_binary() { (cd "$repo" && cargo build --release --locked --quiet); }

pack() {
  node "$repo/npm/scripts/pack.mjs" launcher "$work/tarballs" >/dev/null
  node "$repo/npm/scripts/pack.mjs" platform linux-x64-gnu "$repo/target/release/chatkit-inject" "$work/tarballs" >/dev/null
  ls "$work/tarballs"
}

create_site() {
  (cd "$work" && npx --yes "create-docusaurus@$DOCUSAURUS_VERSION" site classic --javascript \
    --skip-install --package-manager npm >/dev/null)
  cd "$work/site"
  npm install --no-progress --loglevel=error
}

install_tarballs() {
  # What the README tells a site to run (the platform package is on the registry after a release).
  npm i -D --no-progress --loglevel=error "$work"/tarballs/chatkit-inject-[0-9]*.tgz \
    "$work"/tarballs/chatkit-inject-linux-x64-gnu-*.tgz
  cat >chatkit.toml <<'TOML'
[profiles.prod]
backend-url = "https://chat.example.edu"
domain-key = "domain_pk_e2e"
TOML
  # The binary comes from the platform package, not from anything built here.
  local bin
  bin=$(node -p 'require("chatkit-inject").findBinary()')
  case $bin in
    "$work/site/node_modules/@chatkit-inject/linux-x64-gnu/chatkit-inject") ;;
    *) echo "[e2e] launcher resolved $bin" && return 1 ;;
  esac
}

# PATH without any folder that holds cargo or rustc.
nocargo_path=$(printf '%s' "$PATH" | tr ':' '\n' | while read -r d; do
  [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && printf '%s:' "$d"
done)
nocargo_path=${nocargo_path%:}
nocargo() { PATH="$nocargo_path" "$@"; }

site_build() { # site_build LOG: a clean `npm run build` without cargo
  rm -rf build
  if ! nocargo npm run build >"$1" 2>&1; then
    tail -40 "$1"
    return 1
  fi
}

check_pages() { # every HTML page has the widget, and the CLI's own --check agrees
  local total injected
  total=$(find build -name '*.html' | wc -l)
  injected=$(find build -name '*.html' -exec grep -l 'data-chatkit-inject' {} + | wc -l)
  echo "[e2e]   $injected of $total HTML pages have the widget; $(find build/chatkit -type f | wc -l) widget files"
  [ "$total" -gt 5 ] && [ "$injected" -eq "$total" ] || return 1
  nocargo npx chatkit-inject build --env prod --check --quiet
}

variant_postbuild() {
  npm pkg set scripts.postbuild="chatkit-inject build --env prod"
  site_build "$work/postbuild.log"
  grep -q 'page(s) injected in build' "$work/postbuild.log"
  check_pages
  npm pkg delete scripts.postbuild
}

variant_plugin() {
  cp docusaurus.config.js "$work/docusaurus.config.js.orig"
  sed -i 's|^  presets: \[|  plugins: [["chatkit-inject/docusaurus", { env: "prod" }]],\n&|' docusaurus.config.js
  grep -q 'chatkit-inject/docusaurus' docusaurus.config.js
  site_build "$work/plugin.log"
  grep -q 'page(s) injected in .*/build' "$work/plugin.log"
  check_pages
}

plugin_failure() { # a profile the config lacks: the build fails with the CLI's message
  rm -rf build
  sed 's|\["chatkit-inject/docusaurus", { env: "prod" }\]|"chatkit-inject/docusaurus"|' \
    docusaurus.config.js >failing.config.js
  grep -q '^  plugins: \["chatkit-inject/docusaurus"\]' failing.config.js
  if CHATKIT_INJECT_ENV=missing nocargo npx docusaurus build --config failing.config.js \
    >"$work/failure.log" 2>&1; then
    echo "[e2e] the build passed with an unknown profile"
    return 1
  fi
  grep -q 'chatkit-inject .* exited with 2 (usage, config or input-directory error)' "$work/failure.log" || {
    tail -30 "$work/failure.log"
    return 1
  }
  grep -m1 -A1 'exited with 2' "$work/failure.log" | sed 's/^/[e2e]   /'
}

[ -z "$(nocargo sh -c 'command -v cargo rustc' || true)" ] || {
  echo "[e2e] cargo still on the trimmed PATH"
  exit 1
}
step "cargo build --release" build_binary
step "npm pack" pack
step "create-docusaurus + install" create_site
step "npm i -D tarballs" install_tarballs
step "variant postbuild" variant_postbuild
step "variant plugin" variant_plugin
step "plugin failure fails build" plugin_failure
echo
echo "[e2e] timings"
for line in "${timings[@]}"; do echo "  $line"; done
echo "  total                        $(($(date +%s) - t0))s"
