#!/usr/bin/env bash
# Checks that the end-to-end tests can fail: for each mutation below, the injected copy of the
# widget (or its CSS) is broken on purpose after the CLI ran, and the tests that prove that
# behaviour must then fail. Slow (one suite run per mutation); not part of CI.
#
#   tests/e2e/mutations.sh            # all mutations
#   tests/e2e/mutations.sh no-auth    # only the named ones
#
# Each mutation is a sed over the built bundle; if its pattern is not found (the bundle changed),
# it is reported as "did not apply" rather than as a pass.
set -uo pipefail
e2e="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# name | test files | shell command (E2E_WORK is the folder of the injected sites)
mutations=(
  "no-auth|tests/chat.test.mjs|sub panel 'h.set(\"Authorization\",\`Bearer \${d}\`),' ''"
  "eager-fetch|tests/toggle.test.mjs|append loader ';import(JSON.parse(document.getElementById(\"chatkit-inject-config\").textContent).siteUrl).then(m=>fetch(m.default.backendUrl+\"/healthz\")).catch(()=>{});'"
  "no-retries|tests/errors.test.mjs|sub panel 'retries:3' 'retries:0'"
  "no-refresh-on-401|tests/errors.test.mjs|sub panel 'return h.status===401&&' 'return false&&'"
  "technical-message|tests/errors.test.mjs|sub panel \"The assistant can't be reached right now. Please try again in a moment.\" 'TypeError: Failed to fetch (HTTP 503)'"
  "no-domain-key|tests/first-open.test.mjs|sub panel 'domainKey:e.domainKey,' ''"
  "no-custom-fetch|tests/chat.test.mjs|sub panel ',fetch:t.chatFetch}' '}'"
  "wrong-chat-url|tests/chat.test.mjs|sub panel 'url:e.backendUrl+e.chatPath' 'url:e.backendUrl'"
  "thread-not-kept|tests/navigation.test.mjs|sub panel '\"chatkit-inject:thread\"' '\"chatkit-inject:thread\"+Math.random()'"
  "no-dark-watch|tests/theme.test.mjs|sub panel 'attributeFilter:[\"data-theme\"]' 'attributeFilter:[\"data-nothing\"]'"
  "no-escape|tests/a11y.test.mjs|sub loader '\"Escape\"' '\"Esc-none\"'"
  "panel-too-big|tests/sizes.test.mjs|append widget '.chatkit-inject-panel{width:700px!important;height:900px!important;max-width:none!important}'"
  "base-url-ignored|tests/textbook.test.mjs|pages textbook '/textbook/chatkit/' '/chatkit/'"
  "no-reask|tests/faults.test.mjs|sub panel 'y!==null&&n.state===\"ready\"&&u.current' 'false'"
  "expiry-required|tests/faults.test.mjs|sub panel 'expiresAt:a.expires_at??null' 'expiresAt:a.expires_at'"
  "no-early-refresh|tests/faults.test.mjs|sub panel 'return t.expiresAt!==null&&t.expiresAt-this.skewSeconds<=this.now()/1e3' 'return false'"
  "title-as-markup|tests/hostile-config.test.mjs|sub loader 'x.textContent=s.title' 'x.innerHTML=s.title'"
  "chat-unbounded|tests/content.test.mjs|append widget '.chatkit-inject-panel{height:auto!important;max-height:none!important}.chatkit-inject-chat{flex:none!important;height:auto!important}'"
)

# The helpers the commands use, exported into the hook's shell.
helpers='
files() { find "$E2E_WORK" -path "*/chatkit/$1.*" -type f; }
sub() { # sub <panel|loader|widget> <from> <to>: replace a literal string, fail if absent
  local f n=0
  for f in $(files "$1"); do
    FROM="$2" TO="$3" python3 -c "
import os, sys
p = sys.argv[1]; s = open(p, encoding=\"utf-8\").read()
if os.environ[\"FROM\"] not in s: sys.exit(1)
open(p, \"w\", encoding=\"utf-8\").write(s.replace(os.environ[\"FROM\"], os.environ[\"TO\"]))
" "$f" && n=$((n + 1))
  done
  [ "$n" -gt 0 ]
}
pages() { # pages <site> <from> <to>: replace a literal string in every page of an injected site
  FROM="$2" TO="$3" python3 -c "
import os, pathlib, sys
n = 0
for p in pathlib.Path(sys.argv[1]).rglob(\"*.html\"):
    s = p.read_text(encoding=\"utf-8\")
    if os.environ[\"FROM\"] in s:
        p.write_text(s.replace(os.environ[\"FROM\"], os.environ[\"TO\"]), encoding=\"utf-8\"); n += 1
sys.exit(0 if n else 1)
" "$E2E_WORK/$1"
}
append() { local f; for f in $(files "$1"); do printf "%s" "$2" >>"$f"; done; [ -n "$(files "$1")" ]; }
'

wanted=("$@")
failures=0
for entry in "${mutations[@]}"; do
  IFS='|' read -r name tests command <<<"$entry"
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $name "* ]]; then continue; fi
  printf '== %s (%s)\n' "$name" "$tests"
  E2E_SKIP_INSTALL=1 E2E_AFTER_INJECT="$helpers $command" "$e2e/run" $tests >"/tmp/e2e-mutation-$name.log" 2>&1
  status=$?
  summary=$(grep -E '^# (pass|fail) ' "/tmp/e2e-mutation-$name.log" | tr '\n' ' ')
  case $status in
    0) echo "   NOT CAUGHT: the tests passed with the mutation ($summary)"; failures=$((failures + 1)) ;;
    3) echo "   did not apply: pattern not found in the bundle"; failures=$((failures + 1)) ;;
    *) echo "   caught ($summary)" ;;
  esac
done
exit $((failures > 0))
