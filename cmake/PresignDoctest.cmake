# presign_doctest_discover(TARGET MODULE [PROPERTY VALUE]...): registers every doctest case of
# TARGET with ctest, one entry per case, through cmake/doctest_ctest.py (run after each build
# of TARGET). Used instead of doctest_discover_tests, which splits names at ';' and loses the
# labels of names with ','; doctest_ctest.py says how each name is kept exact.
find_package(Python3 COMPONENTS Interpreter REQUIRED)

function(presign_doctest_discover target module)
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_cases.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${Python3_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/cmake/doctest_ctest.py"
            "$<TARGET_FILE:${target}>" "${ctest_file}" "${module}" ${ARGN}
    COMMENT "Registering the doctest cases of ${target} with ctest"
    VERBATIM)
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake")
  file(WRITE "${include_file}"
    "if(EXISTS \"${ctest_file}\")\n"
    "  include(\"${ctest_file}\")\n"
    "else()\n"
    "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\n"
    "  set_tests_properties(${target}_NOT_BUILT PROPERTIES LABELS ${module})\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
