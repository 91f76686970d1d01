#!/usr/bin/python3
# Sends many monitor commands over one librados connection (the `ceph` CLI pays a process start
# per command). stdin: {"conf": ..., "keyring": ..., "commands": [{"prefix": ...}, ...]};
# stdout: [{"ret": int, "out": <parsed JSON or text>, "err": str}, ...] in the same order.
import json
import sys

import rados

request = json.load(sys.stdin)
cluster = rados.Rados(conffile=request["conf"], conf={"keyring": request["keyring"]})
cluster.connect(timeout=30)
results = []
try:
    for command in request["commands"]:
        ret, out, err = cluster.mon_command(json.dumps(command), b"", timeout=30)
        text = out.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = text
        results.append({"ret": ret, "out": parsed, "err": err})
finally:
    cluster.shutdown()
json.dump(results, sys.stdout)
