# The Debian package: `cmake --build BUILD --target package` (CPack DEB)
# makes xjpack_<version>_<arch>.deb and its debug symbols apart,
# xjpack-dbgsym_<version>_<arch>.ddeb. tools/package.sh builds, checks
# (lintian) and tries it, for amd64 and, cross-built, arm64.
#
# What it holds: /usr/bin/xjpack, stripped; the manual pages, gzipped
# (man/CMakeLists.txt); the data files in /usr/share/xjpack; the bash
# completion; README, changelog and a machine-readable copyright in
# /usr/share/doc/xjpack. Its Depends come from dpkg-shlibdeps.

# The changelog's newest entry is this version: a package whose changelog
# names another version is refused by lintian and confuses everyone.
file(STRINGS ${PROJECT_SOURCE_DIR}/tools/package/changelog XJ_CHANGELOG_TOP
     LIMIT_COUNT 1)
if(NOT XJ_CHANGELOG_TOP MATCHES "^xjpack \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "tools/package/changelog begins '${XJ_CHANGELOG_TOP}', "
                      "not version ${PROJECT_VERSION} of CMakeLists.txt")
endif()

set(XJ_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/xjpack)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/changelog.gz
  COMMAND sh -c "gzip -9n <\"$0\" >\"$1\""
          ${PROJECT_SOURCE_DIR}/tools/package/changelog ${CMAKE_BINARY_DIR}/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/tools/package/changelog
  VERBATIM)
add_custom_target(xjpack_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/changelog.gz
              ${PROJECT_SOURCE_DIR}/tools/package/copyright
              ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${XJ_DOC_DIR})

set(XJPACK_PACKAGE_MAINTAINER "xjpack developers <xjpack@example.org>" CACHE STRING
    "the Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME xjpack)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT ${XJPACK_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "pack, sign, encrypt and verify student-registry bundles")
# The extended description: CPack puts the summary above it and indents it
# as Debian's control file wants (an empty line becomes " .").
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"xjpack carries student-registry data by hand, on USB sticks, between
education offices: a school clerk packs the school's registry for the
county, the county verifies and merges its schools, the city merges its
counties and a leader approves, and the province verifies the stick and
proves every record back to the school that signed it.

Records travel encrypted (age), signed (minisign) and checked against the
registry schema and audit rules, and can be recovered with stock age,
minisign, zstd and tar.")
# Cross builds (tools/package.sh arm64) name the target's architecture and
# its binutils; CPack would ask dpkg for the host's.
if(CMAKE_CROSSCOMPILING)
  if(CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  else()
    message(FATAL_ERROR "no Debian architecture known for ${CMAKE_SYSTEM_PROCESSOR}")
  endif()
  set(CPACK_OBJCOPY_EXECUTABLE ${CMAKE_OBJCOPY})
  set(CPACK_READELF_EXECUTABLE ${CMAKE_READELF})
endif()
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
set(CPACK_POST_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/fix_dbgsym.cmake)
include(CPack)
