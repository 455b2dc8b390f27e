#!/usr/bin/env python3
"""Checks that supd.json(5) and the README's config reference do not drift apart.

Keys come from two places: the loader's key lists in config/*.cc (every brace list made
only of string literals: CheckKeys(...) calls and the kChildKeys/kWorkerKeys/... arrays)
and tests/packaging/spec_keys.txt (the specified keys, including those not implemented yet).
  - every key, from either place, must appear in man/supd.json.5.scd;
  - every key the loader accepts must appear in README.md's "Config reference" section.
Specified keys the loader does not accept yet are listed, not required in the README (the
README documents what this version does). Usage: config_keys.py SOURCE_DIR
"""
import pathlib
import re
import sys

src = pathlib.Path(sys.argv[1])
failures = []

literal_list = re.compile(r'\{\s*("[a-z_]+"\s*(?:,\s*"[a-z_]+"\s*)+)\}')
loader_keys = set()
for cc in sorted((src / "config").glob("*.cc")):
    for m in literal_list.finditer(cc.read_text()):
        loader_keys.update(re.findall(r'"([a-z_]+)"', m.group(1)))
# If the loader's shape changes so that this finds little, say so rather than pass.
for must in ("command", "strategy", "socket", "notify_fd", "nofile", "reset_after"):
    if must not in loader_keys:
        failures.append(f"could not extract the loader's keys from config/*.cc "
                        f"(no {must!r}); update tests/packaging/config_keys.py")
spec_keys = {line.strip() for line in (src / "tests/packaging/spec_keys.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")}

man = (src / "man/supd.json.5.scd").read_text()
readme = (src / "README.md").read_text()
section = re.search(r"^## Config reference\n(.*?)(?=^## )", readme, re.S | re.M)
if not section:
    failures.append('README.md has no "## Config reference" section')
reference = section.group(1) if section else ""


def mentions(text, key):
    return re.search(r"(?<![A-Za-z0-9_])" + re.escape(key) + r"(?![A-Za-z0-9_])", text)


for key in sorted(loader_keys | spec_keys):
    if not mentions(man, key):
        failures.append(f"{key}: not in man/supd.json.5.scd")
for key in sorted(loader_keys):
    if not mentions(reference, key):
        failures.append(f"{key}: accepted by config/*.cc but not in README.md's Config reference")
pending = sorted(k for k in spec_keys - loader_keys if not mentions(reference, k))
print(f"{len(loader_keys)} loader keys, {len(spec_keys)} specified keys checked")
if pending:
    print("Specified keys not accepted by the loader yet (README need not list them): " +
          ", ".join(pending))
for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
