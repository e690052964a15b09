// Test-only program: resolves AWS credentials with presign's default chain from the process
// environment and prints them as one JSON object (access key, secret, token, expiry, origin),
// for the botocore oracle (tests/scripts/aws_creds_oracle.py) to compare. It prints secrets on
// purpose; the product never does. Usage: aws_creds_probe [--profile NAME]
#include "presign/auth/aws.hpp"

#include <cstdio>
#include <string>
#include <string_view>

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  presign::auth::aws::ChainOptions options;
  if (argc == 3 && std::string_view(argv[1]) == "--profile") options.profile = argv[2];
  presign::auth::aws::DefaultChainProvider chain(presign::auth::process_env(), options);
  auto c = chain.fetch();
  if (!c) {
    std::fprintf(stderr, "error: %s\n", c.error().detail.c_str());
    return 1;
  }
  auto const& k = std::get<presign::signers::sigv4::Credentials>(c->secret);
  std::string out = "{\"access_key_id\":" + json_string(k.access_key_id) +
                    ",\"secret_access_key\":" + json_string(k.secret_access_key) +
                    ",\"session_token\":" + json_string(k.session_token) + ",\"expires\":" +
                    (c->expires ? json_string(presign::format_rfc3339(*c->expires)) : "null") +
                    ",\"origin\":" + json_string(c->origin) + "}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}
