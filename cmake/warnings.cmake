option(DROVER_WERROR "Treat compiler warnings as errors" OFF)

function(drover_set_warnings target)
  target_compile_options(${target} INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(DROVER_WERROR)
    target_compile_options(${target} INTERFACE -Werror)
  endif()
endfunction()
