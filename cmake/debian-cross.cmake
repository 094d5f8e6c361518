# Cross-compiling for another Debian architecture with Debian's cross toolchain
# (crossbuild-essential-ARCH) and multiarch libraries (libfoo-dev:ARCH), both in the host's /usr:
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/debian-cross.cmake -DTELLTALE_TRIPLET=aarch64-linux-gnu
# packaging/build-deb.sh installs both and passes the triplet (dpkg-architecture's
# DEB_HOST_MULTIARCH: aarch64-linux-gnu, arm-linux-gnueabihf).
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TELLTALE_TRIPLET)
if(NOT TELLTALE_TRIPLET)
  message(FATAL_ERROR "debian-cross.cmake: set TELLTALE_TRIPLET (e.g. aarch64-linux-gnu)")
endif()
set(CMAKE_SYSTEM_NAME Linux)
string(REGEX MATCH "^[^-]+" CMAKE_SYSTEM_PROCESSOR ${TELLTALE_TRIPLET})
set(CMAKE_C_COMPILER ${TELLTALE_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${TELLTALE_TRIPLET}-g++)
# find_library and find_package look in /usr/lib/TRIPLET (and its cmake/) before /usr/lib.
set(CMAKE_LIBRARY_ARCHITECTURE ${TELLTALE_TRIPLET})
# pkg-config sees the target's .pc files only, and the architecture-independent ones.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${TELLTALE_TRIPLET}/pkgconfig:/usr/share/pkgconfig)
# Programs (node, npm, gzip, brotli for the web UI; python) are the build machine's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
