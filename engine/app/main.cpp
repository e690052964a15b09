// presign: batch presigning of object-store URLs. The only catch-all and exit-code mapping.
#include "bench_command.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"
#include "ls_command.hpp"
#include "sign_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <new>

#ifndef PRESIGN_VERSION
#define PRESIGN_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  // First, before any thread (TBB, listing, HTTP) exists, so that all of them inherit the mask.
  presign::app::interrupt::install();
  CLI::App app{"presign: signed URLs for every object of a bucket, millions per second"};
  app.set_version_flag("--version", std::string("presign ") + PRESIGN_VERSION);
  app.require_subcommand(1);
  presign::app::SignOptions sign_options;
  CLI::App* sign = presign::app::add_sign_command(app, sign_options);
  presign::app::BenchOptions bench_options;
  CLI::App* bench = presign::app::add_bench_command(app, bench_options);
  presign::app::LsOptions ls_options;
  CLI::App* ls = presign::app::add_ls_command(app, ls_options);
  try {
    app.parse(argc, argv);
  } catch (CLI::ParseError const& e) {
    int const rc = app.exit(e);
    return rc == 0 ? 0 : presign::app::kUsage;
  }
  try {
    if (sign->parsed()) return presign::app::run_sign(sign_options);
    if (bench->parsed()) return presign::app::run_bench(bench_options);
    if (ls->parsed()) return presign::app::run_ls(ls_options);
  } catch (std::bad_alloc const&) {
    std::fputs("presign: out of memory\n", stderr);
    return presign::app::kInternal;
  } catch (std::exception const& e) {
    std::fprintf(stderr, "presign: internal error: %s\n", e.what());
    return presign::app::kInternal;
  }
  return presign::app::kUsage;
}
