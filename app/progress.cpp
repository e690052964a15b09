// The status line and the retry reports (see progress.hpp).
#include "progress.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <unistd.h>

namespace presign::app {
namespace {

// The process's one status line on stderr.
class StatusLine {
 public:
  static StatusLine& get() {
    static StatusLine line;
    return line;
  }

  // Replaces the progress text and redraws; `final` ends the line.
  void progress(std::string_view text, bool final) {
    std::lock_guard lock(mutex_);
    base_.assign(text);
    if (final) retry_.clear();
    draw_locked(final);
  }

  // Shows (or, with an empty text, clears) the retry part, redrawing at once: a retry must
  // not wait for the next tick, and before the job's first tick there is no ticker at all.
  void retry(std::string text) {
    std::lock_guard lock(mutex_);
    if (text.empty() && retry_.empty()) return;
    retry_ = std::move(text);
    if (retry_.empty() && !open_) return;
    draw_locked(false);
  }

  void end() {
    std::lock_guard lock(mutex_);
    if (!open_) return;
    std::fputc('\n', stderr);
    std::fflush(stderr);
    open_ = false;
  }

 private:
  void draw_locked(bool final) {
    line_ = "\r";
    if (base_.empty()) {
      line_ += "presign: ";  // a retry before the first progress text
    } else {
      line_ += base_;
      if (!retry_.empty()) line_ += "  ";
    }
    line_ += retry_;
    line_ += "\x1b[K";  // erase what a longer line before left
    if (final) line_ += '\n';
    std::fputs(line_.c_str(), stderr);
    std::fflush(stderr);
    open_ = !final;
  }

  std::mutex mutex_;
  std::string base_;   // the last progress text
  std::string retry_;  // "retrying page 3 (2/8): connection refused", or empty
  std::string line_;   // scratch, kept for its capacity
  bool open_ = false;  // a line without its newline is on screen
};

// 12s (12.3s with `tenths`), 3m05s, 1h02m03s
void append_duration(std::string& out, double seconds, bool tenths = false) {
  auto const s = static_cast<long long>(std::max(0.0, seconds));
  char buf[32];
  if (s < 60 && tenths) {
    std::snprintf(buf, sizeof buf, "%.1fs", std::floor(std::max(0.0, seconds) * 10) / 10);
  } else if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", s / 3600, (s / 60) % 60, s % 60);
  }
  out += buf;
}

std::string delay_text(std::chrono::milliseconds d) {
  char buf[32];
  if (d.count() < 1000) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(d.count()));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000);
  }
  return buf;
}

std::string_view what_of(io::RetryEvent const& e) {
  return e.what.empty() ? std::string_view("request") : e.what;
}

}  // namespace

std::string retry_log_line(io::RetryEvent const& e) {
  std::string line = "presign: ";
  line += what_of(e);
  line += ": ";
  line += e.reason;
  line += "; retry " + std::to_string(e.attempt) + "/" + std::to_string(e.max_attempts) + " in " +
          delay_text(e.delay);
  return line;
}

io::RetryObserver make_retry_reporter(bool quiet) {
  if (quiet) return {};
  if (::isatty(STDERR_FILENO)) {
    return [](io::RetryEvent const& e) {
      if (e.kind == io::RetryEvent::Kind::kRecovered) {
        StatusLine::get().retry({});
        return;
      }
      std::string text = "retrying ";
      text += what_of(e);
      text += " (" + std::to_string(e.attempt) + "/" + std::to_string(e.max_attempts) + "): ";
      text += e.reason;
      StatusLine::get().retry(std::move(text));
    };
  }
  return [](io::RetryEvent const& e) {
    if (e.kind != io::RetryEvent::Kind::kRetry) return;
    std::string const line = retry_log_line(e) + "\n";
    std::fputs(line.c_str(), stderr);  // one call: lines of other threads do not interleave
  };
}

void print_progress(engine::Progress const& p) {
  double const rate = p.seconds > 0 ? static_cast<double>(p.objects) / p.seconds : 0;
  std::string text;
  text.reserve(160);
  text += "presign: elapsed ";
  append_duration(text, p.seconds, true);
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %llu objects  %llu errors  %.2f M URLs/s  %.1f MB",
                static_cast<unsigned long long>(p.objects),
                static_cast<unsigned long long>(p.errors), rate / 1e6,
                static_cast<double>(p.bytes) / 1e6);
  text += buf;
  if (p.fraction > 0.001 && !p.final) {
    double const left = p.seconds * (1 - p.fraction) / p.fraction;
    std::snprintf(buf, sizeof buf, "  %.0f%%  ETA ", 100 * p.fraction);
    text += buf;
    append_duration(text, std::ceil(left));
  }
  StatusLine::get().progress(text, p.final);
}

void print_ls_progress(std::uint64_t objects, double seconds, bool final) {
  double const rate = seconds > 0 ? static_cast<double>(objects) / seconds : 0;
  char buf[128];
  if (final) {
    std::snprintf(buf, sizeof buf, "presign ls: %llu objects in %.1f s",
                  static_cast<unsigned long long>(objects), seconds);
  } else {
    std::snprintf(buf, sizeof buf, "presign ls: %llu objects  %.0f objects/s  elapsed ",
                  static_cast<unsigned long long>(objects), rate);
  }
  std::string text = buf;
  if (!final) append_duration(text, seconds, true);
  StatusLine::get().progress(text, final);
}

void end_progress_line() { StatusLine::get().end(); }

}  // namespace presign::app
