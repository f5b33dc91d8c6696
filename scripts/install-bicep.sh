#!/usr/bin/env bash
# Installs the Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64 into .tools/bicep/
# and prints the path of the bicep binary. The package comes through `dotnet restore` of a throwaway
# project, so whatever NuGet sources this machine is configured with (mirror or nuget.org) are used.
# Idempotent: when .tools/bicep/bicep already reports the pinned version, nothing is restored.
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
PACKAGE_ID="Azure.Bicep.CommandLine.linux-x64"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
install_dir="$repo_root/.tools/bicep"
bicep="$install_dir/bicep"

if [[ -x "$bicep" ]] && "$bicep" --version 2>/dev/null | grep -q "version $BICEP_VERSION "; then
  echo "$bicep"
  exit 0
fi

# Outside the repository so Directory.Build.props / Directory.Packages.props / global.json do not apply.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cat > "$scratch/BicepDownload.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PACKAGE_ID" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
PROJ

dotnet restore "$scratch/BicepDownload.csproj" --packages "$scratch/packages" --verbosity quiet >&2

package_dir="$scratch/packages/$(tr '[:upper:]' '[:lower:]' <<<"$PACKAGE_ID")/$BICEP_VERSION"
if [[ ! -f "$package_dir/tools/bicep" ]]; then
  echo "install-bicep: $PACKAGE_ID $BICEP_VERSION restored, but tools/bicep is missing under $package_dir" >&2
  exit 1
fi

mkdir -p "$install_dir"
cp "$package_dir/tools/bicep" "$bicep.tmp"
chmod +x "$bicep.tmp"
mv -f "$bicep.tmp" "$bicep"
"$bicep" --version >&2
echo "$bicep"
