"""Compare the numeric fields of two tools/refactor_rows.sh outputs (timings, host, commit and
other run-dependent fields ignored).  Usage: python tools/refactor_rows_diff.py BEFORE AFTER"""

import json
import re
import sys
from pathlib import Path

IGNORED = (
    "seconds",
    "time",
    "host",
    "commit",
    "version",
    "date",
    "created",
    "per_second",
    "memory",
    "hardware",
    "path",
    "results",
    "cache",
    "cpu",
    "started",
    "finished",
    "code_hash",  # the code identity of a row: differs by design
)


def rows(path: Path) -> dict:
    data = json.loads(path.read_text())
    data = data if isinstance(data, list) else data.get("rows", data)
    return {(r["benchmark"], r["method"], r["backend"], r["seed"]): r for r in data}


def normalised(value):
    """Tracebacks name the checkout: compare them without it."""
    if isinstance(value, str):
        return re.sub(r'"/[^"]*?/(leapsbench|baselines|backends)/', r'"\1/', value)
    return value


def kept(key: str) -> bool:
    return not any(word in key for word in IGNORED)


def main(before: Path, after: Path) -> int:
    bad = 0
    for file in sorted(before.glob("*.json")):
        old, new = rows(file), rows(after / file.name)
        differ = 0
        for key in sorted(old):
            diff = {
                k: (v, new[key].get(k))
                for k, v in old[key].items()
                if kept(k) and normalised(new[key].get(k)) != normalised(v)
            }
            if diff:
                differ += 1
                print(file.name, key, diff)
        bad += differ
        print(f"{file.name}: {len(old)} rows, {differ} differ")
    print("identical" if not bad else f"{bad} rows differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
