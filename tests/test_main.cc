// The unit tests' main: doctest's own, plus two guards that no test can
// pass by running nothing.
//
// - A run that executes no test case fails. Each ctest entry runs one case
//   by name (doctest_discover_tests); a name that ctest mangles (a ';' in
//   it splits the entry in two) would otherwise match nothing and pass.
// - With XJ_TESTS_RAN_DIR set, each run writes there the names of the test
//   cases it executed (one file per filter), so that tests/doctest_ran.py,
//   run by ctest after every entry, can compare what ran with what is
//   defined.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<std::string>& Ran() {
  static std::vector<std::string> ran;
  return ran;
}

// Counts the test cases that start (subcases re-enter; they start once).
struct RanListener : doctest::IReporter {
  explicit RanListener(const doctest::ContextOptions&) {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    Ran().emplace_back(tc.m_name);
  }
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("xj_ran", 1, RanListener);

// The --test-case filters given, as one string ("" when none).
std::string Filter(int argc, char** argv) {
  std::string out;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    for (std::string_view p :
         {"--test-case=", "-tc=", "--dt-test-case=", "--dt-tc="}) {
      if (a.substr(0, p.size()) == p) {
        if (!out.empty()) out += '\n';
        out += a.substr(p.size());
      }
    }
  }
  return out;
}

// FNV-1a: a file name per filter, so that parallel entries never share one.
std::uint64_t Fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

bool WriteRan(const char* dir, const std::string& filter) {
  char name[32];
  std::snprintf(name, sizeof name, "/%016llx.ran",
                static_cast<unsigned long long>(Fnv1a(filter)));
  std::string path = std::string(dir) + name;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  // First line: the filter (newlines in it become spaces); then the names.
  std::string first = filter;
  for (char& c : first) {
    if (c == '\n') c = ' ';
  }
  std::fprintf(f, "filter:%s\n", first.c_str());
  for (const std::string& n : Ran()) std::fprintf(f, "%s\n", n.c_str());
  return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  int rc = context.run();
  if (context.shouldExit()) return rc;  // --list-test-cases, --help, ...
  std::string filter = Filter(argc, argv);
  if (const char* dir = std::getenv("XJ_TESTS_RAN_DIR")) {
    if (!WriteRan(dir, filter)) {
      std::fprintf(stderr, "xj_tests: cannot record the cases run in %s\n",
                   dir);
      return 1;
    }
  }
  if (Ran().empty()) {
    std::fprintf(stderr,
                 "xj_tests: no test case ran (filter \"%s\" matches none); "
                 "a test that runs nothing fails\n",
                 filter.c_str());
    return 1;
  }
  return rc;
}
