// Resources running out under the process layer: a full state dir or a read-only log file
// system fails the start like an exec error (a child already spawned is killed and reaped,
// nothing is left), and starts work again once the space or the write access is back.
// Needs root to mount a tmpfs (skipped otherwise).
#include <sys/mount.h>

#include "daemon/io/process/state_file.h"
#include "tests/integration/io_harness.h"

namespace supd::io::test {
namespace {

/// A 64 KiB tmpfs mounted on a fresh directory, unmounted (lazily) at the end.
class SmallTmpfs {
 public:
  SmallTmpfs() {
    path_ = TempDir("tmpfs");
    mounted_ = mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=64k,mode=0750") == 0;
    if (!mounted_) reason_ = std::string("mount tmpfs: ") + std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
    rmdir(path_.c_str());
  }
  bool mounted() const { return mounted_; }
  const std::string& reason() const { return reason_; }
  const std::string& path() const { return path_; }
  /// Fills the file system with `filler` until ENOSPC.
  void Fill() {
    int fd = open((path_ + "/filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    char block[4096] = {};
    while (write(fd, block, sizeof block) > 0) {
    }
    close(fd);
  }
  void Free() { unlink((path_ + "/filler").c_str()); }
  bool Remount(bool read_only) {
    unsigned long flags = MS_REMOUNT | (read_only ? MS_RDONLY : 0);
    return mount("tmpfs", path_.c_str(), "tmpfs", flags, "size=64k,mode=0750") == 0;
  }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string reason_;
};

TEST_CASE("io: a full state dir fails the start (ENOSPC), then starts work again") {
  SmallTmpfs fs;
  if (!fs.mounted()) {
    MESSAGE("skipped: " << fs.reason() << " (needs root and mount rights)");
    return;
  }
  Harness h(true, fs.path() + "/state");
  // Fill up the records' file system: a record needs a few dozen bytes and gets none.
  fs.Fill();
  auto failed = h.Spawn(ChildSpec({}));
  REQUIRE(h.Failed(failed));
  CHECK(h.FailedError(failed)->find("state file: ") == 0);
  CHECK(h.FailedError(failed)->find("ENOSPC") != std::string::npos);
  CHECK(h.pm().LiveRuns() == 0);
  CHECK(OwnChildren().empty());  // the child spawned for it was killed and reaped

  fs.Free();
  auto run = h.SpawnReady(ChildSpec({}));
  REQUIRE(h.Pid(run) > 0);
  // The record of the new run reads back whole: no torn line was left by the failure.
  auto records = StateFile::Parse(ReadFile(StateFile::FileIn(fs.path() + "/state")));
  CHECK(records.size() == 1);
  CHECK(records.count(h.Pid(run)) == 1);
  h.pm().Signal({run, SIGKILL});
  CHECK(h.WaitExit(run) == core::ExitStatus::Signaled(SIGKILL));
}

TEST_CASE("io: a log file on a read-only file system fails the start (EROFS), then works") {
  // (An open state file cannot be made read-only under supd: the kernel refuses to remount
  // a file system read-only while a file is open for writing on it.)
  SmallTmpfs fs;
  if (!fs.mounted()) {
    MESSAGE("skipped: " << fs.reason() << " (needs root and mount rights)");
    return;
  }
  Harness h;
  auto spec = ChildSpec({});
  spec->stdout_spec.kind = core::OutputSpec::Kind::kFile;
  spec->stdout_spec.file = fs.path() + "/out.log";
  REQUIRE(fs.Remount(true));
  auto failed = h.Spawn(spec);
  REQUIRE(h.Failed(failed));
  CHECK(*h.FailedError(failed) == "open: " + fs.path() + "/out.log: EROFS");
  CHECK(OwnChildren().empty());

  REQUIRE(fs.Remount(false));
  auto run = h.SpawnReady(spec);
  h.pm().Signal({run, SIGKILL});
  CHECK(h.WaitExit(run) == core::ExitStatus::Signaled(SIGKILL));
}

}  // namespace
}  // namespace supd::io::test
