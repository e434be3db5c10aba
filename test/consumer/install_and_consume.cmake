# Builds asyncio-cpp as a shared library, installs it into a prefix chosen only at install time,
# checks what the library exports, then builds and runs a find_package consumer (with two
# examples that reach much of the headers' inline code) and a pkg-config consumer against it:
#   cmake -DSOURCE_DIR=... -DWORK=... -DCONSUMER=... -P install_and_consume.cmake
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
include(${CMAKE_CURRENT_LIST_DIR}/run_or_fail.cmake)
# No CMAKE_INSTALL_PREFIX: the prefix is only given to cmake --install.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK}/lib -G Ninja -DCMAKE_BUILD_TYPE=Release
    -DBUILD_SHARED_LIBS=ON
    -DASYNCIO_CPP_BUILD_TESTS=OFF -DASYNCIO_CPP_BUILD_EXAMPLES=OFF -DASYNCIO_CPP_BUILD_BENCH=OFF
    -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
run(${CMAKE_COMMAND} --build ${WORK}/lib -j2)
run(${CMAKE_COMMAND} --install ${WORK}/lib --prefix ${prefix})

# The shared library: versioned, and exporting the public interface only.
file(STRINGS ${SOURCE_DIR}/CMakeLists.txt project_line REGEX "^project\\(asyncio-cpp VERSION")
string(REGEX MATCH "([0-9]+)\\.([0-9]+)\\.[0-9]+" version "${project_line}")
set(soname libasyncio-cpp.so.${CMAKE_MATCH_1}.${CMAKE_MATCH_2})
foreach(file libasyncio-cpp.so.${version} ${soname} libasyncio-cpp.so)
  if(NOT EXISTS ${prefix}/lib/${file})
    message(FATAL_ERROR "not installed: lib/${file}")
  endif()
endforeach()
find_program(NM nm REQUIRED)
execute_process(COMMAND ${NM} -D --defined-only --demangle ${prefix}/lib/${soname}
                OUTPUT_VARIABLE exported RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "nm failed on ${soname}")
endif()
string(REGEX MATCHALL "[^\n]+" exported "${exported}")
list(LENGTH exported count)
# Of Asio's internals, only its per-thread and per-process variables (lib/exports.map says
# why): no code, vtable or type_info.
set(asio_state ${exported})
list(FILTER asio_state INCLUDE REGEX "boost::asio::detail")
list(LENGTH asio_state asio_state_count)
set(asio_internals ${asio_state})
set(state_regex "^[0-9a-f]+ u (guard variable for )?boost::asio::detail::[^ ].*::(value_|top_|id)$")
list(FILTER asio_internals EXCLUDE REGEX "${state_regex}")
if(asio_internals)
  list(JOIN asio_internals "\n" asio_internals)
  message(FATAL_ERROR "${soname} exports Asio's internals:\n${asio_internals}")
endif()
message(STATUS "${soname} exports ${count} symbols; of boost::asio::detail only "
               "${asio_state_count} variables (call stacks, service ids)")

run(${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/consumer -G Ninja -DCMAKE_PREFIX_PATH=${prefix}
    -DEXAMPLES_DIR=${SOURCE_DIR}/examples -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
run(${CMAKE_COMMAND} --build ${WORK}/consumer -j2)
run(${WORK}/consumer/consumer)
run(${WORK}/consumer/asyncio_calls_asio)
run(${WORK}/consumer/porting_idioms)

# pkg-config: the same program, compiled with nothing but pkg-config's flags.
find_program(PKG_CONFIG pkg-config REQUIRED)
execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/lib/pkgconfig
                        ${PKG_CONFIG} --cflags --libs asyncio-cpp
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "pkg-config does not know asyncio-cpp")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run(c++ ${CONSUMER}/main.cpp -o ${WORK}/pkgconfig_consumer ${flags})
run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${prefix}/lib ${WORK}/pkgconfig_consumer)
