# Installs asyncio-cpp into a fresh prefix, then builds and runs a find_package consumer, and
# checks the pkg-config file compiles a program too:
#   cmake -DSOURCE_DIR=... -DWORK=... -DCONSUMER=... -P install_and_consume.cmake
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "failed: ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK}/lib -G Ninja -DCMAKE_BUILD_TYPE=Release
    -DASYNCIO_CPP_BUILD_TESTS=OFF -DASYNCIO_CPP_BUILD_EXAMPLES=OFF -DASYNCIO_CPP_BUILD_BENCH=OFF
    -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}
    -DCMAKE_INSTALL_PREFIX=${prefix})
run(${CMAKE_COMMAND} --build ${WORK}/lib -j2)
run(${CMAKE_COMMAND} --install ${WORK}/lib)
run(${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/consumer -G Ninja -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK}/consumer)
run(${WORK}/consumer/consumer)
# pkg-config: the same program, compiled by hand.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/lib/pkgconfig
                          ${PKG_CONFIG} --cflags --libs asyncio-cpp
                  OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "pkg-config does not know asyncio-cpp")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(c++ -std=c++20 ${CONSUMER}/main.cpp -o ${WORK}/pkgconfig_consumer ${flags})
  run(${WORK}/pkgconfig_consumer)
endif()
