#!/bin/sh
# Installs what the editor tests need beyond the Python venv: Neovim (Debian's package) and the
# VS Code extension's npm dependencies. Safe to run again: it does nothing when both are in place.
set -eu

repo_root=$(cd "$(dirname "$0")/.." && pwd)
vscode_dir="$repo_root/editors/vscode"

install_neovim() {
    if command -v nvim >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "install-test-deps: nvim is missing; install Neovim >= 0.7 (e.g. 'apt-get install neovim')" >&2
        return 0
    fi
    echo "install-test-deps: installing neovim with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q neovim >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        apt-get install -y -q neovim >/dev/null
    }
}

install_vscode_modules() {
    if ! command -v npm >/dev/null 2>&1; then
        echo "install-test-deps: node/npm are missing; the VS Code extension test needs Node.js >= 18" >&2
        return 0
    fi
    # npm writes node_modules/.package-lock.json on every install; when it is newer than the
    # lockfile, node_modules already matches the lockfile.
    installed="$vscode_dir/node_modules/.package-lock.json"
    if [ -f "$installed" ] && [ ! "$vscode_dir/package-lock.json" -nt "$installed" ]; then
        return 0
    fi
    echo "install-test-deps: npm ci in editors/vscode" >&2
    (cd "$vscode_dir" && npm ci --no-audit --no-fund --loglevel=error)
}

install_neovim
install_vscode_modules
