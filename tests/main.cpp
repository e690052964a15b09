// The one doctest main, compiled once (tests/CMakeLists.txt: presign_doctest_main) and linked
// into every test executable.
//
// doctest exits 0 when its filters match no test case ("test cases: 0"), so a ctest entry
// whose --test-case filter no longer matches its case (a renamed case, a name mangled on
// registration) would pass without running anything. Here a run (not a query such as
// --list-test-cases) in which no test case passed the filters fails with exit status 3.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

struct RunCount {
  bool ended = false;
  unsigned passing_filters = 0;
};
RunCount g_run;

/// Sees the end of the run and keeps how many test cases passed the filters.
class ZeroCaseGuard : public doctest::IReporter {
 public:
  explicit ZeroCaseGuard(doctest::ContextOptions const&) {}
  void report_query(doctest::QueryData const&) override {}
  void test_run_start() override {}
  void test_run_end(doctest::TestRunStats const& stats) override {
    g_run.ended = true;
    g_run.passing_filters = stats.numTestCasesPassingFilters;
  }
  void test_case_start(doctest::TestCaseData const&) override {}
  void test_case_reenter(doctest::TestCaseData const&) override {}
  void test_case_end(doctest::CurrentTestCaseStats const&) override {}
  void test_case_exception(doctest::TestCaseException const&) override {}
  void subcase_start(doctest::SubcaseSignature const&) override {}
  void subcase_end() override {}
  void log_assert(doctest::AssertData const&) override {}
  void log_message(doctest::MessageData const&) override {}
  void test_case_skipped(doctest::TestCaseData const&) override {}
};
DOCTEST_REGISTER_LISTENER("presign_zero_case_guard", 1, ZeroCaseGuard);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  int const rc = context.run();
  if (rc != 0 || context.shouldExit() || !g_run.ended) return rc;
  if (g_run.passing_filters == 0) {
    std::fprintf(stderr,
                 "%s: no test case matched the filters; failing (a run of 0 cases is "
                 "never a pass)\n",
                 argc > 0 ? argv[0] : "tests");
    return 3;
  }
  return rc;
}
