# libFuzzer targets (tests/fuzz/README.md): tests/fuzz/run.sh builds them with clang, ASan and UBSan
# in a build folder of their own and runs each briefly after replaying its regression corpus. Runs
# once (label nosan: the targets carry their own sanitizers), only when clang is installed.
find_program(SPOT_FUZZ_CLANG NAMES clang-14 clang)
if(SPOT_FUZZ_CLANG)
  add_test(NAME fuzz COMMAND ${CMAKE_SOURCE_DIR}/tests/fuzz/run.sh --build ${CMAKE_BINARY_DIR}/fuzz)
  set_tests_properties(fuzz PROPERTIES LABELS nosan TIMEOUT 600
    ENVIRONMENT "SPOT_FUZZ_CC=${SPOT_FUZZ_CLANG}")
else()
  message(WARNING "fuzz targets not configured: install clang and libclang-rt-14-dev")
endif()
