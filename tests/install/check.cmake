# ctest's install test: installs the build tree into a fresh prefix, checks what is there
# (public headers, no sim/, the programs, `mmsim --version`), then configures, builds and
# runs tests/install/ against the installed package.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX_COMPILER=... [-DGENERATOR=...]
#         [-DCXX_FLAGS=...]
#         -P check.cmake
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

foreach(f include/mmsim/machine.h include/mmsim/syscalls.h include/mmsim/control.h
          include/mmsim/observer.h include/mmsim/policy_toolkit.h include/mmsim/version.h
          bin/mmsim bin/mmsim-host-server lib/cmake/mmsim/mmsimConfig.cmake)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
if(EXISTS "${BUILD_DIR}/bench/footprint" AND NOT EXISTS "${prefix}/libexec/mmsim/bench/footprint")
  message(FATAL_ERROR "the benchmarks were built but not installed")
endif()
file(GLOB_RECURSE private RELATIVE "${prefix}" "${prefix}/*internal*" "${prefix}/include/sim/*"
     "${prefix}/*.cc")
if(private)
  message(FATAL_ERROR "installed from the model's private side: ${private}")
endif()

run("${prefix}/bin/mmsim" --version)
if(NOT run_output MATCHES "mmsim [0-9]+\\.[0-9]+\\.[0-9]+.*Linux 6\\.18")
  message(FATAL_ERROR "mmsim --version printed: ${run_output}")
endif()
message(STATUS "${prefix}/bin/mmsim --version: ${run_output}")
string(FIND "${run_output}" "host server: ${prefix}/bin/mmsim-host-server" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the installed mmsim does not use the installed server: ${run_output}")
endif()

set(gen)
if(GENERATOR)
  set(gen -G "${GENERATOR}")
endif()
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/install" -B "${WORK_DIR}/build" ${gen}
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${CXX_FLAGS}")
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/install_check")
message(STATUS "${run_output}")
file(REMOVE_RECURSE "${WORK_DIR}")
