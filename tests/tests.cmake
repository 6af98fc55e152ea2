find_program(PYTHON3 python3 REQUIRED)
# Every tests/unit/test_*.c is one cmocka executable linked with the core library.
file(GLOB SPOT_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${SPOT_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE spotcore PkgConfig::CMOCKA)
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES ENVIRONMENT "SPOT_SOURCE_DIR=${CMAKE_SOURCE_DIR}" TIMEOUT 300)
endforeach()

# The layering rules of core/ (docs/ARCHITECTURE.md): http.h only in core/http, lua_* only in
# core/host, no include cycle between modules.
add_test(NAME unit.layers_check COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/unit/layers_check.py ${CMAKE_SOURCE_DIR})

# Lua rule tests, inside the server's sandbox.
add_test(NAME rules.test COMMAND spotcheck rules test --rules ${CMAKE_SOURCE_DIR}/rules)
set_tests_properties(rules.test PROPERTIES TIMEOUT 120)

# HTTP end-to-end tests: tests/http/test_*.py start the real binary on a loopback port.
file(GLOB SPOT_HTTP_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/http/test_*.py)
foreach(src ${SPOT_HTTP_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME http.${name} COMMAND ${PYTHON3} ${src})
  set_tests_properties(http.${name} PROPERTIES
    ENVIRONMENT "SPOTCHECK_BIN=$<TARGET_FILE:spotcheck>;SPOT_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    TIMEOUT 600)
endforeach()
# The longest tests start first (ctest -j2 on a clean clone has no timings yet), so that the others
# fill the second slot around them.
set_tests_properties(http.test_crash PROPERTIES COST 500)
# Crash recovery (SIGKILL mid-write, SQLite's durability) in the normal build only: a killed sanitized
# server reports nothing, and the run took 105 s of the sanitizer build's time.
set_tests_properties(http.test_crash PROPERTIES LABELS nosan)
# The tests that time the server under load (health within 100 ms under hostile Lua, resident memory
# under wrk) run alone: on this 2-core machine the browser suite or a sanitized test on the other
# core made single health probes miss the 100 ms bound (270 ms once), which says nothing of the
# server.
set_tests_properties(http.test_hostile_lua http.test_load PROPERTIES RUN_SERIAL TRUE)

# The tests whose dates depend on the day they run, again at a moment where UTC and the bureau's
# day (UTC+8) differ and so do their years: New Year's Eve 17:30 UTC is 1 January 01:30 in China.
# They failed there once (a test took UTC's date for the server's). libfaketime (Debian faketime)
# moves the clock of the test and of the server it starts; not under the sanitizers, whose runtime
# must be loaded first.
find_file(SPOT_FAKETIME libfaketimeMT.so.1 PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/faketime NO_DEFAULT_PATH)
if(SPOT_FAKETIME)
  foreach(name test_archive_catalogue test_objections test_objections_online test_audit_anchor test_joint
               test_list_paging test_result_attacks test_accountability test_inspections test_frequency test_stats
               test_shutdown)
    add_test(NAME dates.${name} COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/http/at_time.py ${SPOT_FAKETIME}
      2026-12-31T17:30:00Z ${CMAKE_SOURCE_DIR}/tests/http/${name}.py)
    set_tests_properties(dates.${name} PROPERTIES LABELS nosan TIMEOUT 600
      ENVIRONMENT "SPOTCHECK_BIN=$<TARGET_FILE:spotcheck>;SPOT_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  endforeach()
else()
  message(WARNING "date tests not configured: install faketime (scripts/test does)")
endif()

# Benchmark helpers for scripts/bench (not tests).
add_executable(bench_rules ${CMAKE_SOURCE_DIR}/tests/bench/bench_rules.c)
target_link_libraries(bench_rules PRIVATE spotcore)

# Browser tests: playwright-core (web/node_modules, from web/package-lock.json) driving Debian's
# chromium headless against the real server on loopback. Normal build only (label nosan).
find_program(NODE node)
if(NODE AND EXISTS ${CMAKE_SOURCE_DIR}/web/node_modules/playwright-core)
  add_test(NAME browser COMMAND ${NODE} --test ${CMAKE_SOURCE_DIR}/tests/browser/)
  set_tests_properties(browser PROPERTIES LABELS nosan TIMEOUT 900 COST 10000
    ENVIRONMENT "SPOTCHECK_BIN=$<TARGET_FILE:spotcheck>;SPOT_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
else()
  message(WARNING "browser tests not configured: run 'npm ci' in web/ (scripts/test does)")
endif()
