# Deployment tests (tests/deploy): the Debian package end to end, backup and restore under writes,
# schema upgrades with the pre-upgrade copy, and the TLS reverse proxy (nginx). Standard-library
# Python; deploy.tls exits 77 (skipped) without nginx/openssl.
# Include from the top-level CMakeLists.txt after tests/tests.cmake:  include(packaging/tests.cmake)
find_program(SPOT_DEPLOY_PYTHON3 python3 REQUIRED)
foreach(name package backup upgrade tls)
  add_test(NAME deploy.${name} COMMAND ${SPOT_DEPLOY_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/deploy/test_${name}.py)
  set_tests_properties(deploy.${name} PROPERTIES
    ENVIRONMENT "SPOTCHECK_BIN=$<TARGET_FILE:spotcheck>;SPOT_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    TIMEOUT 300
    SKIP_RETURN_CODE 77
    LABELS deploy)
endforeach()
# deploy.package configures and builds its own release tree (prefix /usr) and .deb: not again under
# the sanitizer build.
set_tests_properties(deploy.package PROPERTIES LABELS "deploy;nosan")
