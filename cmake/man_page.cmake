cmake_minimum_required(VERSION 3.25)  # a -P script: the policies of this CMake
# Makes one gzipped man page from its scdoc source (cmake -P). For drover.toml(5), the line
# @EXAMPLE_CONFIG@ becomes the full example config, so the page lists every option from the one
# file the tests load. Variables: SCDOC, SOURCE, EXAMPLE_CONFIG, OUTPUT (…/drover.1.gz).
file(READ "${SOURCE}" page)
string(FIND "${page}" "@EXAMPLE_CONFIG@" at)
if(at GREATER_EQUAL 0)
  file(READ "${EXAMPLE_CONFIG}" example)
  string(REPLACE "@EXAMPLE_CONFIG@" "```\n${example}```" page "${page}")
endif()
get_filename_component(dir "${OUTPUT}" DIRECTORY)
string(REGEX REPLACE "\\.gz$" "" roff "${OUTPUT}")
file(WRITE "${roff}.scd" "${page}")
execute_process(COMMAND "${SCDOC}" INPUT_FILE "${roff}.scd" OUTPUT_FILE "${roff}"
                RESULT_VARIABLE scdoc_result ERROR_VARIABLE scdoc_error)
if(NOT scdoc_result EQUAL 0)
  message(FATAL_ERROR "scdoc ${SOURCE}: ${scdoc_error}")
endif()
# -n: no name or time stamp inside, so the same source gives the same bytes.
execute_process(COMMAND gzip -9nf "${roff}" RESULT_VARIABLE gzip_result)
if(NOT gzip_result EQUAL 0)
  message(FATAL_ERROR "gzip ${roff} failed")
endif()
