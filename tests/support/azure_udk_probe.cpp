// Test-only program: signs blob names with a user delegation key through the batch hot path
// (AzureSasSigner::sign), for the SDK oracle (tests/scripts/azure_udk_oracle.py), which signs
// the same names with Debian's azure-storage-blob generate_blob_sas(user_delegation_key=...).
//
// Usage: azure_udk_probe NAME=VALUE... < names
//   names: one per line, hex-encoded UTF-8 (a name may hold any byte but '\n').
//   NAME: account container endpoint sv permissions start expiry ip protocol rscc rscd rsce
//         rscl rsct snapshot version_id ses saoid scid, and the key's skoid sktid skt ske
//         sks skv value. Times are RFC 3339.
// Prints one URL a line, or "ERROR <code>" for a name the signer refuses.
#include "presign/core/time.hpp"
#include "presign/signers/azure_sas.hpp"

#include <cstdio>
#include <iostream>
#include <map>
#include <string>

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace presign;
  std::map<std::string, std::string> a;
  for (int i = 1; i < argc; ++i) {
    std::string const s = argv[i];
    auto const eq = s.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "azure_udk_probe: argument without '=': %s\n", argv[i]);
      return 2;
    }
    a[s.substr(0, eq)] = s.substr(eq + 1);
  }
  signers::azure::AzureSasConfig c;
  c.account = a["account"];
  c.container = a["container"];
  c.endpoint = a["endpoint"];
  if (!a["sv"].empty()) c.version = a["sv"];
  c.permissions = a["permissions"].empty() ? "r" : a["permissions"];
  if (!a["start"].empty()) c.start = parse_rfc3339(a["start"]).value();
  c.expiry = parse_rfc3339(a["expiry"]).value();
  c.ip = a["ip"];
  c.protocol = a["protocol"];
  c.cache_control = a["rscc"];
  c.content_disposition = a["rscd"];
  c.content_encoding = a["rsce"];
  c.content_language = a["rscl"];
  c.content_type = a["rsct"];
  c.snapshot = a["snapshot"];
  c.version_id = a["version_id"];
  c.encryption_scope = a["ses"];
  c.authorized_object_id = a["saoid"];
  c.correlation_id = a["scid"];
  c.delegation_key = signers::azure::UserDelegationKey{a["skoid"], a["sktid"], a["skt"],  a["ske"],
                                                       a["sks"],   a["skv"],   a["value"]};
  auto signer = signers::azure::AzureSasSigner::create(std::move(c));
  if (!signer) {
    std::fprintf(stderr, "azure_udk_probe: %s\n", signer.error().detail.c_str());
    return 1;
  }
  signers::azure::AzureSasSigner::Scratch scratch;
  std::string line;
  std::string name;
  std::string out;
  while (std::getline(std::cin, line)) {
    name.clear();
    for (std::size_t i = 0; i + 1 < line.size(); i += 2) {
      name += static_cast<char>(hex(line[i]) * 16 + hex(line[i + 1]));
    }
    out.clear();
    auto const e = signer->sign(ObjectRef{name, {}}, scratch, out);
    if (e != SignError::kOk) {
      std::cout << "ERROR " << static_cast<int>(e) << '\n';
    } else {
      std::cout << out << '\n';
    }
  }
  return 0;
}
