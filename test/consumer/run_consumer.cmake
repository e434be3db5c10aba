# Configures, builds, runs and installs a consumer project that vendors asyncio-cpp:
#   cmake -DSOURCE=... -DBINARY=... -P run_consumer.cmake
file(REMOVE_RECURSE ${BINARY})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BINARY} -G Ninja
                        -DASYNCIO_CPP_SOURCE_DIR=${ASYNCIO_CPP_SOURCE_DIR}
                        -DCMAKE_BUILD_TYPE=Debug
                        -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configure failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY} -j2 RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "build failed")
endif()
execute_process(COMMAND ${BINARY}/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "consumer failed")
endif()
# The parent's install installs the parent's program, and nothing of asyncio-cpp
# (ASYNCIO_CPP_INSTALL is off below the top level).
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BINARY} --prefix ${BINARY}/prefix
                OUTPUT_QUIET RESULT_VARIABLE rc)
if(rc OR NOT EXISTS ${BINARY}/prefix/bin/consumer)
  message(FATAL_ERROR "the consumer's install failed")
endif()
file(GLOB_RECURSE installed RELATIVE ${BINARY}/prefix ${BINARY}/prefix/*)
list(FILTER installed INCLUDE REGEX "asyncio")
if(installed)
  message(FATAL_ERROR "the parent project's install installed asyncio-cpp: ${installed}")
endif()
