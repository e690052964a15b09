#include "summary.hpp"

#include "exit_codes.hpp"
#include "presign/io/record_format.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace presign::app {
namespace {

char const* kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kConfig:
      return "config";
    case ErrorKind::kAuth:
      return "auth";
    case ErrorKind::kIo:
      return "io";
    case ErrorKind::kNetwork:
      return "network";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kInternal:
      return "internal";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kPermissionDenied:
      return "permission_denied";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kInvalidInput:
      return "invalid_input";
  }
  return "internal";
}

char const* status_name(int exit_code) {
  if (exit_code == kOk) return "ok";
  if (exit_code == kPartial) return "partial";
  if (exit_code == 128 + 2 || exit_code == 128 + 15) return "interrupted";
  return "failed";
}

struct SplitPath {
  std::string dir;
  std::string base;
};

SplitPath split(std::string const& path) {
  auto const slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

Error summary_error(std::string const& path, std::string const& what, int e) {
  return make_error(ErrorKind::kIo,
                    "cannot write summary " + path + ": " + what + ": " + std::strerror(e));
}

// A fresh temporary file beside `path` (mode 0600), or an error naming the reason.
Result<int> create_temp(std::string const& path, std::string& temp) {
  SplitPath const sp = split(path);
  if (sp.base.empty())
    return make_error(ErrorKind::kUsage, "--summary '" + path + "' names no file");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return make_error(ErrorKind::kUsage, "--summary '" + path + "' is a directory");
  }
  temp = (sp.dir == "/" ? std::string("/") : sp.dir + "/") + "." + sp.base + ".XXXXXX.tmp";
  int const fd = ::mkostemps(temp.data(), 4, O_CLOEXEC);
  if (fd < 0) return summary_error(path, "cannot create a file in " + sp.dir, errno);
  return fd;
}

void add_time(std::string& out, char const* key, std::optional<SigningTime> const& t) {
  out += "\"";
  out += key;
  out += "\":";
  if (t) {
    out += "\"" + format_rfc3339(*t) + "\",";
  } else {
    out += "null,";
  }
}

}  // namespace

Result<void> check_summary_path(std::string const& path) {
  std::string temp;
  auto fd = create_temp(path, temp);
  if (!fd) return fd.error();
  ::close(*fd);
  ::unlink(temp.c_str());
  return {};
}

Result<void> write_summary(std::string const& path, JobReport const& report, SignOptions const& o,
                           int exit_code) {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  engine::RunStats const& s = report.stats;
  auto const& l = s.latency;
  double const rate =
      s.wall_seconds > 0 ? static_cast<double>(s.objects_this_run) / s.wall_seconds : 0;
  unsigned const threads = s.threads != 0   ? s.threads
                           : o.threads != 0 ? o.threads
                                            : std::max(1U, std::thread::hardware_concurrency());
  std::string out = "{\"version\":1,";
  auto num = [&](char const* k, unsigned long long v, char const* after = ",") {
    out += "\"";
    out += k;
    out += "\":" + std::to_string(v) + after;
  };
  auto str = [&](char const* k, std::string_view v) {
    out += "\"";
    out += k;
    out += "\":\"";
    io::append_json_escaped(out, v);
    out += "\",";
  };
  num("exit_code", static_cast<unsigned long long>(exit_code));
  str("status", status_name(exit_code));
  out += "\"error\":";
  if (report.error && exit_code != kOk && exit_code != kPartial) {
    out += "{\"kind\":\"";
    out += kind_name(report.error->kind);
    out += "\",\"message\":\"";
    io::append_json_escaped(out, report.error->detail);
    out += "\"},";
  } else {
    out += "null,";
  }
  str("uri", o.uri);
  str("format", o.format);
  str("output", o.output.empty() ? "-" : o.output);
  add_time(out, "signing_time", report.signing_time);
  add_time(out, "expires_at", report.expires_at);
  num("objects", s.objects);
  num("errors", s.errors);
  num("objects_this_run", s.objects_this_run);
  out += std::string("\"resumed\":") + (s.resumed ? "true," : "false,");
  num("bytes", s.bytes);
  char wall[64];
  std::snprintf(wall, sizeof wall, "\"wall_seconds\":%.3f,", s.wall_seconds);
  out += wall;
  num("urls_per_second", static_cast<unsigned long long>(rate + 0.5));
  num("threads", threads);
  num("batches", s.batches);
  num("peak_rss_bytes", static_cast<unsigned long long>(ru.ru_maxrss) * 1024);
  out += "\"latency_ns\":{";
  num("p50", l.quantile(0.50));
  num("p90", l.quantile(0.90));
  num("p99", l.quantile(0.99));
  num("p999", l.quantile(0.999));
  num("max", l.max(), "");
  out += "}}\n";

  std::string temp;
  auto fd = create_temp(path, temp);
  if (!fd) return fd.error();
  auto r = io::write_all(*fd, out, "cannot write summary " + path);
  if (r && ::fsync(*fd) != 0) r = summary_error(path, "cannot flush it to disk", errno);
  if (::close(*fd) != 0 && r) r = summary_error(path, "cannot close it", errno);
  if (r && ::rename(temp.c_str(), path.c_str()) != 0) {
    r = summary_error(path, "cannot rename the temporary file into place", errno);
  }
  if (!r) ::unlink(temp.c_str());
  return r;
}

}  // namespace presign::app
