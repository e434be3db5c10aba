# Installs the already built library of this build tree into a prefix chosen only now, then
# builds and runs a one-file program with nothing but pkg-config's flags (the .pc file must
# find the prefix from where it lies). With the same flags, a program compiled against other
# Asio headers (faked: another BOOST_ASIO_VERSION) must fail to link, naming the version.
#   cmake -DBUILD_DIR=... -DWORK=... -DCONSUMER_DIR=... -P install_tree.cmake
include(${CMAKE_CURRENT_LIST_DIR}/run_or_fail.cmake)
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} OUTPUT_QUIET)
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB_RECURSE pc_file ${prefix}/*/asyncio-cpp.pc)
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir}
                        ${PKG_CONFIG} --cflags --libs asyncio-cpp
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(rc OR NOT flags MATCHES "-I${prefix}")
  message(FATAL_ERROR "pkg-config gives '${flags}' for a library installed in ${prefix}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")

# The pkg-config consumer builds and runs.
run(c++ ${CONSUMER_DIR}/find_package/main.cpp -o ${WORK}/consumer ${flags})
run(${WORK}/consumer)

execute_process(COMMAND c++ ${CONSUMER_DIR}/asio_mismatch.cpp -o ${WORK}/asio_mismatch ${flags}
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc)
  message(FATAL_ERROR "a program built against other Asio headers linked")
endif()
if(NOT "${err}${out}" MATCHES "undefined reference to `asyncio_cpp_built_with_asio_999999'")
  message(FATAL_ERROR "the Asio mismatch failed, but not on the version tag:\n${err}${out}")
endif()
message(STATUS "an Asio mismatch fails to link: asyncio_cpp_built_with_asio_999999")
