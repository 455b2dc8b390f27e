"""supd with `kill_mode: "group"` on every worker: the default (`auto`) gives
each child a cgroup of its own where a writable cgroup v2 exists (mkdir, move,
populated check, rmdir per start); no peer does that, so this row shows what the
cgroup costs.  Opt in: --systems supd,supd-group,..."""
from adapters.supd import Supd


class SupdGroup(Supd):
    name = "supd-group"
    notes = {"stop": Supd.notes["stop"], "crash": "kill_mode `group` on every worker: no cgroup per child"}

    def write_config(self):
        super().write_config()
        import json
        with open(self.config) as f:
            cfg = json.load(f)
        for c in cfg["children"]:
            c["kill_mode"] = "group"
        with open(self.config, "w") as f:
            json.dump(cfg, f, indent=1)
