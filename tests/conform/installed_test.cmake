# `cmake --install` puts the Python adapter beside the verigrad binary (share/verigrad/), and the
# installed binary finds it there: ctest runs this script with BUILD, PREFIX, ENGINE and SOURCE set.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${PREFIX}" RESULT_VARIABLE rc
                OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
foreach(path bin/verigrad share/verigrad/verigrad_adapter.py include/verify/conform/adapter.hpp
             include/verify/conform/protocol.hpp)
  if(NOT EXISTS "${PREFIX}/${path}")
    message(FATAL_ERROR "not installed: ${path}")
  endif()
endforeach()
# Run from another folder, with no way to the build tree but the installed layout.
execute_process(COMMAND "${PREFIX}/bin/verigrad" conform --python "${ENGINE}" --cases 50 --no-probes --seed 1 --json
                WORKING_DIRECTORY "${PREFIX}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the installed verigrad conform exited ${rc}: ${err}\n${out}")
endif()
string(JSON conformant GET "${out}" conformant)
string(JSON cases GET "${out}" cases)
if(NOT conformant STREQUAL "ON" OR NOT cases EQUAL 50)
  message(FATAL_ERROR "unexpected report from the installed binary:\n${out}")
endif()
file(REMOVE_RECURSE "${PREFIX}")
