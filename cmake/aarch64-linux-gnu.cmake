# Cross-compiling for arm64 (aarch64) Debian on an amd64 Debian machine, with
# Debian's cross toolchain (crossbuild-essential-arm64) and the target's
# libraries installed through multiarch (libsodium-dev:arm64, ...).
# tools/package.sh arm64 installs both and uses this file.
#
# Programs the build runs (the bash completion is written by xjpack itself)
# and the tests run under qemu-aarch64 (qemu-user).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)

# Headers and libraries of the target only; programs of the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Multiarch: the target's libraries are in /usr/lib/aarch64-linux-gnu, its
# headers in /usr/include (shared) and /usr/include/aarch64-linux-gnu.
list(APPEND CMAKE_FIND_ROOT_PATH /usr)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
