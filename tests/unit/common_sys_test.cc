// common/paths.h, common/fs.h, common/errno_text.h: default paths, mkdir -p, atomic
// writes and errno text, on the real filesystem (a temp dir per test).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "common/errno_text.h"
#include "common/fs.h"
#include "common/paths.h"
#include "tests/support/skip.h"
#include "tests/support/temp_dir.h"

namespace supd::common {
namespace {

using testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// `fn()` computed by a child process running as uid/gid 65534 (nobody); needs root.
std::string AsNobody(const std::function<std::string()>& fn) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(p[0]);
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(1);
    }
    std::string out = fn();
    ssize_t n = ::write(p[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  ::close(p[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(p[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

TEST_CASE("NonEmptyEnv: unset and empty are the same") {
  {
    ScopedEnv env("SUPD_TEST_VAR", "x");
    CHECK(NonEmptyEnv("SUPD_TEST_VAR") == "x");
  }
  {
    ScopedEnv env("SUPD_TEST_VAR", "");
    CHECK_FALSE(NonEmptyEnv("SUPD_TEST_VAR").has_value());
  }
  CHECK_FALSE(NonEmptyEnv("SUPD_TEST_VAR").has_value());
}

TEST_CASE("default socket and state paths: root's, then XDG's, then the fallbacks") {
  if (::geteuid() != 0) SUPD_SKIP("needs root to compute the paths of root and of nobody");
  ScopedEnv runtime("XDG_RUNTIME_DIR", "/x/run");
  ScopedEnv state("XDG_STATE_HOME", "/x/state");
  ScopedEnv home("HOME", "/x/home");
  CHECK(DefaultSocketPath() == "/run/supd/supd.sock");
  CHECK(DefaultStateDir() == "/var/lib/supd");
  CHECK(AsNobody(DefaultSocketPath) == "/x/run/supd.sock");
  CHECK(AsNobody(DefaultStateDir) == "/x/state/supd");
  ScopedEnv no_runtime("XDG_RUNTIME_DIR", "");
  ScopedEnv no_state("XDG_STATE_HOME", nullptr);
  CHECK(AsNobody(DefaultSocketPath) == "/run/user/65534/supd.sock");
  CHECK(AsNobody(DefaultStateDir) == "/x/home/.local/state/supd");
}

TEST_CASE("MakeDirs: every missing component, mode, existing dirs, files in the way") {
  TempDir dir;
  const std::string deep = dir.File("a/b/c");
  CHECK_FALSE(MakeDirs(deep, 0700).has_value());
  struct stat st {};
  REQUIRE(::stat(deep.c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 0077) == 0);
  CHECK_FALSE(MakeDirs(deep).has_value());  // already there
  CHECK_FALSE(MakeDirs(dir.File("a/b/c/")).has_value());
  CHECK_FALSE(MakeDirs(dir.File("a//d")).has_value());

  dir.Write("file", "x");
  CHECK(MakeDirs(dir.File("file")) == dir.File("file") + " exists and is not a directory");
  CHECK(MakeDirs(dir.File("file/sub")) == dir.File("file") + " exists and is not a directory");
  CHECK(MakeDirs("").has_value());
}

TEST_CASE("MakeDirs: a component that cannot be created is named with the cause") {
  CHECK(MakeDirs("/proc/supd-test/x") ==  // procfs refuses mkdir, even to root
        "cannot create /proc/supd-test: No such file or directory (ENOENT)");
}

TEST_CASE("WriteFileAtomic: replaces the file whole and leaves no temporary behind") {
  TempDir dir;
  const std::string path = dir.File("state.json");
  CHECK_FALSE(WriteFileAtomic(path, "first\n").has_value());
  CHECK(Slurp(path) == "first\n");
  CHECK_FALSE(WriteFileAtomic(path, "second\n", 0600).has_value());
  CHECK(Slurp(path) == "second\n");
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  const std::string big(1 << 20, 'x');
  CHECK_FALSE(WriteFileAtomic(path, big).has_value());
  CHECK(Slurp(path) == big);

  auto error = WriteFileAtomic(dir.File("missing/state.json"), "x");
  REQUIRE(error.has_value());
  CHECK(*error == "cannot create " + dir.File("missing/state.json.tmp") +
                      ": No such file or directory (ENOENT)");
  std::filesystem::create_directory(dir.File("taken"));
  std::filesystem::create_directory(dir.File("taken/inside"));
  error = WriteFileAtomic(dir.File("taken"), "x");
  REQUIRE(error.has_value());
  CHECK(error->find("cannot rename " + dir.File("taken.tmp")) == 0);
  CHECK_FALSE(std::filesystem::exists(dir.File("taken.tmp")));
}

TEST_CASE("ErrnoText: the description and the symbolic name") {
  CHECK(ErrnoText(ENOENT) == "No such file or directory (ENOENT)");
  CHECK(ErrnoText(EACCES) == "Permission denied (EACCES)");
  CHECK(ErrnoText(123456) == "Unknown error (123456)");
}

}  // namespace
}  // namespace supd::common
