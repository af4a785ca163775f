#!/usr/bin/env bash
# The test command (`npm test`): type check, lint, then every test file under test/.
# Node 20 does not expand quoted globs, so bash lists the files.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
npx --no-install tsc --noEmit -p .
npx --no-install biome check .
files=(test/**/*.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --import tsx --test --test-reporter=spec "${files[@]}"
