set(DROVER_SANITIZERS "" CACHE STRING "Comma-separated sanitizers, e.g. address,undefined or thread")

function(drover_set_sanitizers target)
  if(DROVER_SANITIZERS)
    target_compile_options(${target} INTERFACE -fsanitize=${DROVER_SANITIZERS} -fno-omit-frame-pointer
                                               -fno-sanitize-recover=all)
    target_link_options(${target} INTERFACE -fsanitize=${DROVER_SANITIZERS})
  endif()
endfunction()
