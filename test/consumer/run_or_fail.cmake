# run(<command> <args>... [execute_process options]): runs one step of a consumer test script
# and stops the script, naming the command, if it fails. Included by the scripts in this folder.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(rc)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "failed (${rc}): ${command}")
  endif()
endfunction()
