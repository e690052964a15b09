#include "run_job.hpp"

#include "presign/signers/crypto.hpp"

#include <cmath>
#include <fstream>
#include <sys/resource.h>

namespace presign::app {

std::string job_fingerprint(SignOptions const& o, io::Format format, SigningTime expires_at) {
  // Every option that changes output bytes, each length-prefixed so fields cannot run together.
  signers::crypto::Sha256 h;
  auto add = [&](std::string_view v) {
    std::string const len = std::to_string(v.size()) + ":";
    h.update(len);
    h.update(v);
  };
  for (auto const* v : {&o.uri, &o.keys_from, &o.region, &o.endpoint, &o.addressing, &o.expires,
                        &o.method, &o.response_content_disposition, &o.response_content_type,
                        &o.output, &o.credentials, &o.permissions, &o.start, &o.ip,
                        &o.sas_version, &o.response_cache_control, &o.response_content_encoding,
                        &o.response_content_language, &o.snapshot, &o.version_id, &o.compress}) {
    add(*v);
  }
  add(o.https_only ? "https-only" : "");
  add(io::format_name(format));
  add(format_rfc3339(o.when));
  add(format_rfc3339(expires_at));
  return signers::crypto::hex_lower(h.final());
}

void print_progress(engine::Progress const& p) {
  double const rate = p.seconds > 0 ? static_cast<double>(p.objects) / p.seconds : 0;
  char eta[32] = "";
  if (p.fraction > 0.001 && !p.final) {
    double const left = p.seconds * (1 - p.fraction) / p.fraction;
    std::snprintf(eta, sizeof eta, "  %3.0f%%  ETA %.0fs", 100 * p.fraction, std::ceil(left));
  }
  std::fprintf(stderr, "\rpresign: %llu objects  %.2f M URLs/s  %.1f MB%s%s",
               static_cast<unsigned long long>(p.objects), rate / 1e6,
               static_cast<double>(p.bytes) / 1e6, eta, p.final ? "\n" : "   ");
  std::fflush(stderr);
}

Result<void> write_summary(std::string const& path, engine::RunStats const& s, SignOptions const& o,
                           io::Format format) {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  auto const& l = s.latency;
  double const rate = s.wall_seconds > 0 ? static_cast<double>(s.objects) / s.wall_seconds : 0;
  std::string out = "{";
  auto num = [&](char const* k, double v, bool comma = true) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "\"%s\":%.17g%s", k, v, comma ? "," : "");
    out += buf;
  };
  num("objects", static_cast<double>(s.objects));
  num("errors", static_cast<double>(s.errors));
  num("bytes", static_cast<double>(s.bytes));
  num("wall_seconds", s.wall_seconds);
  num("urls_per_second", rate);
  num("threads", s.threads);
  num("batches", static_cast<double>(s.batches));
  num("peak_rss_bytes", static_cast<double>(ru.ru_maxrss) * 1024);
  out += "\"format\":\"" + std::string(io::format_name(format)) + "\",";
  out += "\"output\":\"";
  io::append_json_escaped(out, o.output.empty() ? "-" : o.output);
  out += "\",\"latency_ns\":{";
  num("p50", static_cast<double>(l.quantile(0.50)));
  num("p90", static_cast<double>(l.quantile(0.90)));
  num("p99", static_cast<double>(l.quantile(0.99)));
  num("p999", static_cast<double>(l.quantile(0.999)));
  num("max", static_cast<double>(l.max()), false);
  out += "}}\n";
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!(f << out) || !f.flush()) {
    return make_error(ErrorKind::kIo, "cannot write summary " + path);
  }
  return {};
}

}  // namespace presign::app
