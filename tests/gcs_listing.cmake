# GCS listing through the JSON API with OAuth2 (signers/gcs_oauth, io/gcs_lister,
# providers/gcs/provider.cpp make_page_fetcher): unit tests, the fake JSON-API server and the
# end-to-end script test.

# The JWT assertion stages (doctest suite signers.gcs_oauth).
target_sources(signers_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/signers/gcs_oauth_test.cpp)

# The fetcher and token providers against the fake server, in process (suite io.gcs_lister).
# (The server itself is in presign_fake_servers, tests/CMakeLists.txt.)
target_sources(io_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/io/gcs_lister_test.cpp)

# The fake Cloud Storage JSON API (token endpoint verifying RS256 assertions + objects.list)
# as a program, for tests/scripts/gcs_list_fake.sh.
add_executable(fake_gcs_server support/fake_gcs_main.cpp)
target_link_libraries(fake_gcs_server PRIVATE presign_fake_servers presign_warnings)

# 10,000 hostile names listed by `presign sign gs://…` and `presign ls gs://…` through the
# fake server; every URL checked against Google's Node client (gcs_oracle.js).
set(PRESIGN_NODE_MODULES "${CMAKE_SOURCE_DIR}/.tools/node_modules" CACHE PATH
    "node_modules with @google-cloud/storage for the GCS oracle")
add_test(NAME live.gcs_list_fake
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/gcs_list_fake.sh $<TARGET_FILE:presign>
                 $<TARGET_FILE:fake_gcs_server> ${PRESIGN_NODE_MODULES}
                 ${PRESIGN_VECTORS_DIR}/gcs/test_service_account.not-a-test.json)
set_tests_properties(live.gcs_list_fake PROPERTIES LABELS live TIMEOUT 600)

# kill -9 while listing gs:// (pageToken in the checkpoint), resumed byte-identically.
add_test(NAME crash.gcs_list_kill9_resume
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/gcs_list_crash.sh $<TARGET_FILE:presign>
                 $<TARGET_FILE:fake_gcs_server>
                 ${PRESIGN_VECTORS_DIR}/gcs/test_service_account.not-a-test.json)
set_tests_properties(crash.gcs_list_kill9_resume PROPERTIES LABELS crash TIMEOUT 1200)
