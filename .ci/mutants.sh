#!/usr/bin/env bash
# Mutation testing of the security-critical modules with cargo-mutants 27: does the test suite
# notice when the code is subtly wrong (a `>` made `>=`, a `&&` made `||`, a match arm deleted)?
#
#   .ci/mutants.sh                    every security-critical file (about 210 mutants: an hour or
#                                     more on 2 shared cores, ~10 s a mutant on an idle machine)
#   .ci/mutants.sh src/ids.rs ...     only these files
#   npm run mutants [-- FILE...]      the same
#   .ci/mutants.sh --ci               what .ci/run does: the security-critical files the last commit
#                                     touched when they make at most MUTANTS_CI_MAX (30) mutants,
#                                     otherwise one fixed small file (src/secret.rs)
#
# Installs cargo-mutants 27 if it is missing. Prints, per file, the viable mutants (those that
# compile), how many the tests caught and the score, then every surviving ("missed") mutant and
# every timeout. Exits non-zero when a file scores under MUTANTS_MIN percent (default 95), or when
# cargo-mutants itself fails (e.g. the tests fail without any mutation).
#
# A mutant that no test can tell from the original (an equivalent mutant) is excluded in
# .cargo/mutants.toml with one line on why, never silenced without a reason.
#
# It runs --in-place: cargo-mutants edits one source file at a time and puts it back after each
# mutant (also on Ctrl-C). Don't edit src/ while it runs. It reuses target/ from `cargo test`.
# Timeouts count as caught (the tests did not pass), and are listed.
set -euo pipefail
cd "$(dirname "$0")/.."

SECURITY_CRITICAL=(
  src/signature.rs
  src/oauth/install.rs
  src/oauth/state.rs
  src/api/retry.rs
  src/ids.rs
  src/secret.rs
  src/webhooks/handler.rs
  src/oauth/callback.rs
  src/api/transport.rs
  src/api/mod.rs
)
MIN="${MUTANTS_MIN:-95}"
OUT=target/mutants
# cargo-mutants does not create the parent: a fresh clone, or CARGO_TARGET_DIR elsewhere, has none.
mkdir -p target

CI_FIXED=src/secret.rs
CI_MAX="${MUTANTS_CI_MAX:-30}"

if ! cargo mutants --version 2>/dev/null | grep -q '^cargo-mutants 27\.'; then
  echo "mutants: installing cargo-mutants 27 (cargo install --locked --debug: a debug build compiles" >&2
  echo "mutants: in about half the time, and cargo-mutants spends its time waiting on cargo anyway)" >&2
  cargo install --locked --debug cargo-mutants --version '^27'
fi

if [ "${1:-}" = "--ci" ]; then
  files=()
  if git rev-parse -q --verify HEAD^ >/dev/null; then
    changed="$(git diff --name-only HEAD^ HEAD)"
    for f in "${SECURITY_CRITICAL[@]}"; do
      if grep -qxF "$f" <<<"$changed"; then files+=("$f"); fi
    done
  fi
  if [ "${#files[@]}" -gt 0 ]; then
    list_args=()
    for f in "${files[@]}"; do list_args+=(--file "$f"); done
    n="$(cargo mutants --list "${list_args[@]}" | wc -l)"
    if [ "$n" -gt "$CI_MAX" ]; then
      echo "mutants: the last commit touched ${files[*]} ($n mutants, over $CI_MAX): testing $CI_FIXED only" >&2
      files=("$CI_FIXED")
    fi
  else
    files=("$CI_FIXED")
  fi
  echo "mutants: testing ${files[*]} (the full run: .ci/mutants.sh)" >&2
elif [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=("${SECURITY_CRITICAL[@]}")
fi
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "mutants: no such file: $f" >&2; exit 1; }
done

args=(--in-place --no-shuffle --output "$OUT")
# nextest runs the test binaries in parallel and skips doctests (none of them tests these files).
if cargo nextest --version >/dev/null 2>&1; then args+=(--test-tool nextest); fi
for f in "${files[@]}"; do args+=(--file "$f"); done

set +e
cargo mutants "${args[@]}"
rc=$?
set -e
# 0 all caught, 2 some missed, 3 some timed out: the summary below decides. Anything else
# (usage error, the unmutated tests failing) is a failure of the run itself.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ] && [ "$rc" -ne 3 ]; then
  echo "mutants: cargo mutants failed (exit $rc); see $OUT/mutants.out/log" >&2
  exit "$rc"
fi
if ! git diff --quiet -- "${files[@]}"; then
  echo "mutants: a source file was left mutated; restore it with git checkout" >&2
  exit 1
fi

dir="$OUT/mutants.out"
count() { # count FILE LIST: lines of LIST (caught.txt, …) for mutants in FILE
  [ -f "$dir/$2" ] || { echo 0; return; }
  awk -v f="$1:" 'index($0, f) == 1 { n++ } END { print n + 0 }' "$dir/$2"
}

echo
echo "| file | viable | caught | missed | timeout | unviable | score |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
below=()
for f in "${files[@]}"; do
  caught=$(count "$f" caught.txt)
  missed=$(count "$f" missed.txt)
  timeout=$(count "$f" timeout.txt)
  unviable=$(count "$f" unviable.txt)
  viable=$((caught + missed + timeout))
  if [ "$viable" -eq 0 ]; then
    score="n/a"
  else
    detected=$((caught + timeout))
    score="$(awk -v d="$detected" -v v="$viable" 'BEGIN { printf "%.1f %%", 100 * d / v }')"
    if [ $((detected * 100)) -lt $((MIN * viable)) ]; then below+=("$f"); fi
  fi
  echo "| \`$f\` | $viable | $caught | $missed | $timeout | $unviable | $score |"
done

echo
if [ -s "$dir/missed.txt" ]; then
  echo "Surviving mutants (a test should fail for each; or, if truly equivalent, exclude it in"
  echo ".cargo/mutants.toml with one line on why):"
  sed 's/^/  /' "$dir/missed.txt"
else
  echo "No surviving mutants."
fi
if [ -s "$dir/timeout.txt" ]; then
  echo "Timeouts (counted as caught):"
  sed 's/^/  /' "$dir/timeout.txt"
fi
excluded=$(grep -c '^  "' .cargo/mutants.toml 2>/dev/null || true)
echo "Excluded as equivalent: ${excluded:-0} pattern(s), each with its reason, in .cargo/mutants.toml."

if [ "${#below[@]}" -gt 0 ]; then
  echo "mutants: under ${MIN} % caught: ${below[*]}" >&2
  exit 1
fi
