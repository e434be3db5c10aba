# Configures, builds, runs and installs a consumer project that vendors asyncio-cpp:
#   cmake -DSOURCE=... -DBINARY=... -P run_consumer.cmake
include(${CMAKE_CURRENT_LIST_DIR}/run_or_fail.cmake)
file(REMOVE_RECURSE ${BINARY})
run(${CMAKE_COMMAND} -S ${SOURCE} -B ${BINARY} -G Ninja
    -DASYNCIO_CPP_SOURCE_DIR=${ASYNCIO_CPP_SOURCE_DIR}
    -DCMAKE_BUILD_TYPE=Debug
    -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
run(${CMAKE_COMMAND} --build ${BINARY} -j2)
run(${BINARY}/consumer)
# The parent's install installs the parent's program, and nothing of asyncio-cpp
# (ASYNCIO_CPP_INSTALL is off below the top level).
run(${CMAKE_COMMAND} --install ${BINARY} --prefix ${BINARY}/prefix OUTPUT_QUIET)
if(NOT EXISTS ${BINARY}/prefix/bin/consumer)
  message(FATAL_ERROR "the consumer's install did not install bin/consumer")
endif()
file(GLOB_RECURSE installed RELATIVE ${BINARY}/prefix ${BINARY}/prefix/*)
list(FILTER installed INCLUDE REGEX "asyncio")
if(installed)
  message(FATAL_ERROR "the parent project's install installed asyncio-cpp: ${installed}")
endif()
