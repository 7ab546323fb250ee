#!/usr/bin/env python3
"""Checks the module's layering (issue 11): the files of rust/ other than
the typed layer rust/vfs/ hold no unsafe block or unsafe fn and no raw
kernel pointer, and their imports form no circle.  Prints what breaks a
rule and exits 1, or prints the layer order and exits 0.  Also prints the
layer's unsafe blocks: how many, and how many of them call the kernel
(the others turn a callback's raw arguments or a kernel object's field
into a typed value).

Usage: tools/layers.py [ROOT]   (ROOT: the repository, default: cwd)
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
src = os.path.join(root, "rust")
# Only the module entry may have an `unsafe impl` (of the marker trait).
skip = {"bindings.rs", "bindings_generated.rs"}
files = sorted(f for f in os.listdir(src) if f.endswith(".rs") and f not in skip)
mods = {f[:-3] for f in files} | {"vfs"}
errors = []
graph = {}

for f in files:
    text = open(os.path.join(src, f)).read()
    code = re.sub(r"//[^\n]*", "", text)  # comments and docs are not code
    name = f[:-3]
    for n, line in enumerate(code.split("\n"), 1):
        if re.search(r"\bunsafe\s*(\{|fn\b|extern\b)", line) or (
            re.search(r"\bunsafe\s+impl\b", line) and f != "rramfs_main.rs"
        ):
            errors.append(f"rust/{f}:{n}: unsafe outside rust/vfs/: {line.strip()}")
        if re.search(r"\*\s*(mut|const)\s+bindings::", line):
            errors.append(f"rust/{f}:{n}: raw kernel pointer outside rust/vfs/: {line.strip()}")
    if name == "vfs":
        continue
    deps = set()
    # `crate::x` paths, and `x` inside a `use crate::{...}` group.
    deps |= set(re.findall(r"\bcrate::(\w+)", code))
    for group in re.findall(r"use\s+crate::\{(.*?)\};", code, re.S):
        depth, word = 0, ""
        for ch in group + ",":
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if depth == 0 and (ch.isalnum() or ch == "_"):
                word += ch
            elif word:
                if depth == 0 or ch == "{":
                    deps.add(word)
                word = ""
    graph[name] = sorted(d for d in deps if d in mods and d != name and d != "bindings")

# The module entry declares every module; it is the top, not a dependency.
graph.pop("rramfs_main", None)
for deps in graph.values():
    if "rramfs_main" in deps:
        deps.remove("rramfs_main")

order, state = [], {}


def visit(m, path):
    if state.get(m) == 2:
        return
    if state.get(m) == 1:
        cycle = path[path.index(m):] + [m]
        errors.append("import circle: " + " -> ".join(cycle))
        return
    state[m] = 1
    for d in graph.get(m, []):
        visit(d, path + [m])
    state[m] = 2
    order.append(m)


for m in sorted(graph):
    visit(m, [])



def unsafe_census():
    """(blocks, blocks with a kernel call) in rust/vfs.rs and rust/vfs/."""
    vfs = os.path.join(src, "vfs")
    paths = [os.path.join(src, "vfs.rs")] + [
        os.path.join(vfs, f) for f in sorted(os.listdir(vfs)) if f.endswith(".rs")
    ]
    blocks = calls = 0
    for p in paths:
        code = re.sub(r"//[^\n]*", "", open(p).read())
        for m in re.finditer(r"\bunsafe\s*\{", code):
            i, depth = m.end(), 1
            while depth:
                depth += {"{": 1, "}": -1}.get(code[i], 0)
                i += 1
            blocks += 1
            calls += bool(re.search(r"bindings::\w+\s*\(", code[m.start():i]))
    return blocks, calls


if errors:
    print("\n".join(errors))
    sys.exit(1)
print("layers ok; imports from the bottom up: " + " ".join(order))
blocks, calls = unsafe_census()
print(f"rust/vfs: {blocks} unsafe blocks, {calls} of them call the kernel")
