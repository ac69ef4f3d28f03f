# cmake -DSRC=<source> -DBIN=<build dir> -DCC=<C compiler> -DTYPE=<build type>
#       -P sanitize-build.cmake
# The test sanitize.build: configures BIN as a host-only build with
# -DHV_SANITIZE=ON (the unit tests under ASan and UBSan) if it is not yet,
# and builds it.
if(NOT EXISTS ${BIN}/CMakeCache.txt)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${BIN} -DHV_SANITIZE=ON
      -DCMAKE_C_COMPILER=${CC} -DCMAKE_BUILD_TYPE=${TYPE}
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sanitize.build: configuring ${BIN} failed")
  endif()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BIN} -j2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sanitize.build: building ${BIN} failed")
endif()
