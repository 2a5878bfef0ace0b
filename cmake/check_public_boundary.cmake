# Fails when a front end includes a model-private header. Front ends (the scenario language
# and host oracle under sim/scenario/ and sim/oracle/, the benchmarks under bench/, the
# reclaim policies under sim/policy/) may include the public API (include/mmsim/), their own
# headers, and third-party ones; never sim/internal.h or any other header of the model in
# sim/, nor a test helper under tests/, however the path is spelled (../internal.h too).
#
#   cmake -DROOT=<source dir> [-DSTAMP=<file to touch on success>] -P check_public_boundary.cmake
if(NOT ROOT)
  message(FATAL_ERROR "check_public_boundary.cmake: pass -DROOT=<source dir>")
endif()
get_filename_component(ROOT "${ROOT}" ABSOLUTE)

set(front_end_dirs sim/scenario sim/oracle sim/policy bench)
set(globs)
foreach(dir IN LISTS front_end_dirs)
  foreach(ext cc h cpp hpp)
    list(APPEND globs "${ROOT}/${dir}/*.${ext}")
  endforeach()
endforeach()
file(GLOB_RECURSE files ${globs})

set(errors "")
foreach(file IN LISTS files)
  get_filename_component(dir "${file}" DIRECTORY)
  file(RELATIVE_PATH rel_file "${ROOT}" "${file}")
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[\"<]([^\">]*)[\">].*$" "\\1" inc "${line}")
    # Where the include lands: beside the file if it exists there (quoted form), else from
    # the source root (the only project include directory besides include/).
    set(target "${ROOT}/${inc}")
    if(EXISTS "${dir}/${inc}")
      set(target "${dir}/${inc}")
    endif()
    get_filename_component(target "${target}" ABSOLUTE)
    file(RELATIVE_PATH rel "${ROOT}" "${target}")
    get_filename_component(name "${inc}" NAME)
    set(private FALSE)
    if(rel MATCHES "^sim/" AND NOT rel MATCHES "^sim/(scenario|oracle|policy)/")
      set(private TRUE)  # the model's own headers (sim/internal.h, sim/policy/...)
    elseif(rel MATCHES "^tests/")
      set(private TRUE)  # test helpers reach into the model
    elseif(name MATCHES "(^|_)internal\\.h$")
      set(private TRUE)
    endif()
    if(private)
      string(APPEND errors "  ${rel_file}: #include \"${inc}\" (${rel})\n")
    endif()
  endforeach()
endforeach()

if(errors)
  message(FATAL_ERROR
    "Front ends may include only the public API (include/mmsim/: machine.h, syscalls.h, "
    "procfs.h, control.h, observer.h, policy_toolkit.h, ...), never a header of the model:\n"
    "${errors}"
    "Use the control surface (include/mmsim/control.h) or move what is needed into a public "
    "header.")
endif()
if(STAMP)
  file(TOUCH "${STAMP}")
endif()
