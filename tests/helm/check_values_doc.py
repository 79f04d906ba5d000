#!/usr/bin/python3
"""check_values_doc.py CHART_DIR - values.yaml is documented and complete:
every key down to the second level has a comment line right above it, and
every .Values path the templates use exists in values.yaml."""
import glob
import os
import re
import sys

import yaml

chart = sys.argv[1]
lines = open(os.path.join(chart, "values.yaml")).read().splitlines()
values = yaml.safe_load("\n".join(lines))
problems = []
for i, line in enumerate(lines):
    m = re.match(r"^( *)([A-Za-z][\w.-]*):", line)
    if not m or len(m.group(1)) > 2:
        continue
    prev = lines[i - 1].strip() if i else ""
    if not prev.startswith("#"):
        problems.append(f"values.yaml:{i + 1}: {m.group(2)} has no comment above it")

for t in sorted(glob.glob(os.path.join(chart, "templates", "*"))):
    for path in sorted(set(re.findall(r"\.Values((?:\.[A-Za-z_]\w*)+)", open(t).read()))):
        node = values
        for part in path.strip(".").split("."):
            if not isinstance(node, dict) or part not in node:
                problems.append(f"{os.path.basename(t)}: .Values{path} is not in values.yaml")
                break
            node = node[part]
if problems:
    print("FAIL:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("ok: values.yaml documents every key the templates use")
