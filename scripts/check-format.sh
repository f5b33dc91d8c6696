#!/usr/bin/env bash
# The formatting check (README, "Tests and fixtures"): CSharpier's check of the C# code (the version pinned in
# .config/dotnet-tools.json), then every line of a tracked *.cs file longer than .editorconfig's max_line_length,
# listed as path:line, since CSharpier leaves comments, string literals and names as they are. Exits non-zero on
# any finding; `dotnet csharpier format .` fixes what the first part finds.
set -uo pipefail
cd "$(dirname "$0")/.."

dotnet tool restore >/dev/null || { echo "dotnet tool restore failed"; exit 1; }
status=0
dotnet csharpier check . || status=1

limit=$(sed -n 's/^max_line_length *= *\([0-9]*\).*/\1/p' .editorconfig | head -1)
# Counted in characters, not bytes (a UTF-8 locale for grep): "≈" is one character on the screen.
long=$(git ls-files -z '*.cs' | LC_ALL=C.UTF-8 xargs -0 grep -nE "^.{$((limit + 1)),}" | cut -d: -f1,2)
if [ -n "$long" ]; then
  echo "$(echo "$long" | wc -l) lines longer than $limit characters:"
  echo "$long"
  status=1
fi
exit $status
