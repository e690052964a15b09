# Azure listing (List Blobs with Shared Key: signers/azure_shared_key, io/azure_lister,
# providers/azure/provider.cpp make_page_fetcher): unit tests and the Azurite script test.

# Shared Key stages on Microsoft's reference examples: suite signers.azure_shared_key.
target_sources(signers_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/signers/azure_shared_key_test.cpp)

# The fetcher: query, target, error mapping, and fetches against a scripted loopback server
# (suite io.azure_lister).
target_sources(io_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/io/azure_lister_test.cpp)

# Whole List Blobs requests (the lister's query, Shared Key) compared with the Python SDK's
# SharedKeyCredentialPolicy (scripts/azure_shared_key_oracle.py): suite io.azure_list_request.
target_sources(io_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/io/azure_list_request_test.cpp)

# 10,000 blobs (hostile names) in Azurite 3.37.0, listed by `presign sign az://…` and
# `presign ls az://…`; every URL GETs 200 with the uploaded bytes; wrong key and missing
# container give clear errors.
add_test(NAME live.azure_list_azurite
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/azure_list_azurite.sh $<TARGET_FILE:presign>)
set_tests_properties(live.azure_list_azurite PROPERTIES LABELS live TIMEOUT 600)
