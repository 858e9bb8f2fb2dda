set(DROVER_SANITIZERS "" CACHE STRING "Comma-separated sanitizers, e.g. address,undefined or thread")

function(drover_set_sanitizers target)
  if(DROVER_SANITIZERS)
    target_compile_options(${target} INTERFACE -fsanitize=${DROVER_SANITIZERS} -fno-omit-frame-pointer
                                               -fno-sanitize-recover=all)
    target_link_options(${target} INTERFACE -fsanitize=${DROVER_SANITIZERS})
  endif()
endfunction()

# Under ThreadSanitizer, drover_agent carries C11 thread functions that TSan can see (see
# agent/sanitizer/tsan_c11_threads.cpp); -u makes every executable linking it take them from
# there rather than from glibc.
function(drover_add_tsan_c11_threads target)
  if(DROVER_SANITIZERS MATCHES "thread")
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/agent/sanitizer/tsan_c11_threads.cpp)
    target_link_options(${target} INTERFACE -Wl,--undefined=thrd_create)
  endif()
endfunction()
