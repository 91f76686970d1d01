#!/usr/bin/python3
# Runs Ceph's own pg_autoscaler (ceph-mgr-modules-core's module.py) outside ceph-mgr: the mgr
# framework is stubbed and the OSD map, crush, osd_stats and df it reads are fed from a JSON
# scenario (hakit's AutoscaleInput). stdin: a list of scenarios; stdout: module.py's
# _get_pool_status() list for each.
import importlib.util
import json
import logging
import sys
import types

MODULE = "/usr/share/ceph/mgr/pg_autoscaler/module.py"

stub = types.ModuleType("mgr_module")
stub.HealthChecksT = dict
stub.CRUSHMap = object
stub.OSDMap = object
stub.CLIReadCommand = lambda *a, **k: (lambda f: f)
stub.CLIWriteCommand = lambda *a, **k: (lambda f: f)
stub.Option = lambda **k: k


class MgrModule:
    def __init__(self, *a, **k):
        pass


stub.MgrModule = MgrModule
sys.modules["mgr_module"] = stub
sys.modules["mgr_util"] = types.ModuleType("mgr_util")
prettytable = types.ModuleType("prettytable")
prettytable.PrettyTable = object
sys.modules.setdefault("prettytable", prettytable)

spec = importlib.util.spec_from_file_location("pg_autoscaler_module", MODULE)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)


class Crush:
    def __init__(self, scenario):
        self.scenario = scenario

    def get_rule_by_id(self, rule_id):
        return {"rule_name": "rule-%d" % rule_id}

    def get_rule_root(self, name):
        return int(name.split("-")[1])

    def get_osds_under(self, root):
        return self.scenario["rootOsds"][str(root)]


class OsdMap:
    def __init__(self, scenario):
        self.scenario = scenario
        self.pools = {}
        for p in sorted(scenario["pools"], key=lambda p: p["id"]):
            options = {}
            for key, name in (("targetSizeRatio", "target_size_ratio"), ("targetSizeBytes", "target_size_bytes"),
                              ("bias", "pg_autoscale_bias"), ("pgNumMin", "pg_num_min"), ("pgNumMax", "pg_num_max")):
                if p.get(key) is not None:
                    options[name] = p[key]
            self.pools[p["id"]] = {
                "pool": p["id"], "pool_name": p["name"], "size": p["size"],
                # the root is carried in the rule id: rule N takes root N
                "crush_rule": p["root"], "pg_num_target": p["pgNumTarget"],
                "options": options, "flags_names": "hashpspool,bulk" if p.get("bulk") else "hashpspool",
                "pg_autoscale_mode": p.get("autoscaleMode", "on"), "raw_used_rate": p["rawUsedRate"],
            }

    def get_pools(self):
        return self.pools

    def get_pools_by_name(self):
        return {p["pool_name"]: p for p in self.pools.values()}

    def pool_raw_used_rate(self, pool_id):
        return self.pools[pool_id]["raw_used_rate"]

    def get_crush(self):
        return Crush(self.scenario)


def run(scenario):
    scaler = module.PgAutoscaler.__new__(module.PgAutoscaler)
    scaler.log = logging.getLogger("autoscaler")
    scaler.mon_target_pg_per_osd = scenario.get("targetPgPerOsd", 100)
    osd_stats = [{"osd": int(o), "kb": b // 1024} for o, b in scenario["osdCapacityBytes"].items()]
    df = [{"id": p["id"], "stats": {"stored": p.get("storedBytes", 0)}} for p in scenario["pools"]]
    scaler.get = lambda what: {"osd_stats": {"osd_stats": osd_stats}, "df": {"pools": df}}[what]
    osdmap = OsdMap(scenario)
    ret, _ = scaler._get_pool_status(osdmap, osdmap.get_pools_by_name(), scenario.get("threshold", 3.0))
    return ret


logging.disable(logging.CRITICAL)
json.dump([run(s) for s in json.load(sys.stdin)], sys.stdout)
