# Sourced by demo.sh, Tests/run.sh and bench/run.sh: `sudo` resets PATH (secure_path), which drops a Swift
# toolchain installed under /opt or by swiftly. Look where Swift's installers put it; fail with a clear line.
if ! command -v swift >/dev/null 2>&1; then
    _home=""
    [ -n "${SUDO_USER:-}" ] && _home=$(getent passwd "$SUDO_USER" | cut -d: -f6)
    for _dir in /opt/swift/usr/bin /usr/local/swift/usr/bin /usr/share/swift/usr/bin \
                ${_home:+"$_home/.local/share/swiftly/bin"} "${HOME:-/root}/.local/share/swiftly/bin" /usr/local/bin; do
        if [ -x "$_dir/swift" ]; then PATH="$_dir:$PATH"; export PATH; break; fi
    done
    unset _home _dir
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "swift not found: install Swift 6 (https://www.swift.org/install/linux/) so that /opt/swift/usr/bin/swift exists or swift is on root's PATH" >&2
    exit 1
fi
