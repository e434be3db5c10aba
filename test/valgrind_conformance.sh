#!/usr/bin/env bash
# valgrind memcheck over every conformance binary of a build: no invalid access and no
# definite leak. Usage: test/valgrind_conformance.sh [build dir, default build/dev]
set -u
build=${1:-build/dev}
failed=0
checked=0
for binary in "$build"/test/conformance_*; do
  [[ -x "$binary" && "$binary" != *.log ]] || continue  # skip its own logs on a rerun
  checked=$((checked + 1))
  if ! timeout 300 valgrind -q --error-exitcode=99 --leak-check=full \
      --errors-for-leak-kinds=definite "$binary" > /dev/null 2> "$binary.valgrind.log"; then
    echo "valgrind found errors in $binary:"
    cat "$binary.valgrind.log"
    failed=$((failed + 1))
  fi
done
echo "valgrind memcheck: $((checked - failed)) clean, $failed with errors"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
