# Sourced before a release build (Makefile, demo.sh, Tests/run.sh, bench/run.sh). csf starts once per command:
# it links libstdc++ (and libgcc, Package.swift) statically, so the loader maps and binds two shared libraries
# fewer — a `csf -d` ~1.5 ms (~20 %) faster (bench/RESULTS.md, session 23). The Swift driver asks for `-lstdc++`,
# which the linker takes from the first directory of its search path that has one; csf's link searches
# .build/static-libstdc++ first, which holds only the static archive. Without the archive (no libstdc++-dev), the
# directory stays empty and csf links the shared library as before.
_dir="$(pwd)/.build/static-libstdc++"
mkdir -p "$_dir"
_archive=$(${CXX:-g++} -print-file-name=libstdc++.a 2>/dev/null || gcc -print-file-name=libstdc++.a 2>/dev/null || true)
case "$_archive" in
    /*) [ -f "$_archive" ] && ln -sfn "$_archive" "$_dir/libstdc++.a" ;;
    *) rm -f "$_dir/libstdc++.a"; echo "static-libstdcxx.sh: no libstdc++.a; csf links libstdc++.so" >&2 ;;
esac
unset _dir _archive
