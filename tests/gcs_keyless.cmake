# GCS keyless signing through IAM signBlob (io/gcs_keyless*, auth/gcs.cpp's keyless sources,
# providers/gcs/keyless.cpp): unit tests against the fake server in process, and the
# end-to-end script test of the program against fake_gcs_server (metadata server, refresh-token
# grant and signBlob signing with the published dummy key).

# Parsers, token flows, signBlob client and batch signer (suite io.gcs_keyless); replays the
# gcs_sign_blob fuzz corpus. generateAccessToken's impersonated tokens (suite
# io.gcs_impersonated); replays the gcs_access_token fuzz corpus.
target_sources(io_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/io/gcs_keyless_test.cpp
                                ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/gcs_sign_blob_fuzz.cpp
                                ${CMAKE_CURRENT_SOURCE_DIR}/io/gcs_impersonated_test.cpp
                                ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/gcs_access_token_fuzz.cpp)
# The credential chain's keyless sources (suite auth.gcs_keyless); auth_tests replays gcs_adc.
target_sources(auth_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/auth/gcs_keyless_chain_test.cpp
                                  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/gcs_adc_fuzz.cpp)

# presign sign gs://… keyless via GCE_METADATA_HOST and via ADC user credentials with
# --impersonate-service-account: URLs equal to the key file's; errors exit 3 with no output.
add_test(NAME cli.gcs_keyless
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/gcs_keyless.sh $<TARGET_FILE:presign>
                 $<TARGET_FILE:fake_gcs_server>
                 ${PRESIGN_VECTORS_DIR}/gcs/test_service_account.not-a-test.json)
set_tests_properties(cli.gcs_keyless PROPERTIES LABELS cli TIMEOUT 300)
