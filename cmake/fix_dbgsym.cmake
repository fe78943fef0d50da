# CPack post-build script (CPACK_POST_BUILD_SCRIPTS): makes the debug-symbol
# package CPack 3.25 writes (xjpack-dbgsym_*.ddeb) what Debian's own are, so
# that lintian finds no error in it either:
#  - its md5sums lists the files by their path in the package (CPack wrote
#    the path of its own staging folder);
#  - the .debug files are not executable;
#  - /usr/share/doc/xjpack-dbgsym is a link to xjpack's documentation (the
#    copyright and changelog), which it depends on in the same version.
foreach(pkg IN LISTS CPACK_PACKAGE_FILES)
  if(NOT pkg MATCHES "\\.ddeb$")
    continue()
  endif()
  set(tmp "${pkg}.fix")
  file(REMOVE_RECURSE "${tmp}")
  execute_process(COMMAND dpkg-deb -R "${pkg}" "${tmp}" RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "fix_dbgsym: dpkg-deb -R ${pkg} failed")
  endif()
  file(GLOB_RECURSE debug_files RELATIVE "${tmp}" "${tmp}/usr/*")
  list(SORT debug_files)
  set(sums "")
  foreach(f IN LISTS debug_files)
    file(CHMOD "${tmp}/${f}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    file(MD5 "${tmp}/${f}" md5)
    string(APPEND sums "${md5}  ${f}\n")
  endforeach()
  file(WRITE "${tmp}/DEBIAN/md5sums" "${sums}")
  file(MAKE_DIRECTORY "${tmp}/usr/share/doc")
  file(CREATE_LINK xjpack "${tmp}/usr/share/doc/xjpack-dbgsym" SYMBOLIC)
  execute_process(COMMAND dpkg-deb --root-owner-group -b "${tmp}" "${pkg}"
                  OUTPUT_QUIET RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "fix_dbgsym: dpkg-deb -b ${tmp} failed")
  endif()
  file(REMOVE_RECURSE "${tmp}")
endforeach()
