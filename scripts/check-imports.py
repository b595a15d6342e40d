#!/usr/bin/env python3
"""Fails when the top-level modules of a crate import each other in a circle.

How it reads the imports: for every `.rs` file under each crate's `src/`, the file's top-level module is the first
path component below `src/` (`src/callin/board.rs` -> `callin`; `lib.rs`/`main.rs` are the crate root and are not
counted). Every path starting with `crate::` (in `use` items, grouped `use crate::{a, b::c}` included, and in
expressions such as `crate::store::Store::open`) names the top-level module it enters; a `super::` path is resolved
against the file's own module path (`super::super::x` from `src/a/b/c.rs` enters `a`). Comments, string literals and
test code (`#[cfg(test)]` items, files named `tests.rs` or under a `tests/` folder) are ignored. An edge A -> B is
recorded when a file of A names B (A != B); any strongly connected component of more than one module is a cycle.

Usage: scripts/check-imports.py [--graph] [CRATE_SRC_DIR ...]   (default: every crates/*/src)
Exit status: 0 no cycle, 1 a cycle (each is printed with one file:line per edge).
"""
import os
import re
import sys
from collections import defaultdict

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """Blank out comments, string and char literals, keeping line numbers."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4] + "   ") :
            m = re.match(r"'(\\[^']*|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_test_items(text):
    """Remove `#[cfg(test)]` items (a `mod x { … }` block, or a `mod x;` line)."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        j = m.end()
        # the item: up to the first `;` or a balanced `{…}`, whichever comes first
        semi, brace = text.find(";", j), text.find("{", j)
        if brace < 0 or (0 <= semi < brace):
            end = semi + 1
        else:
            depth, k = 0, brace
            while k < len(text):
                if text[k] == "{":
                    depth += 1
                elif text[k] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            end = k + 1
        out.append("\n" * text.count("\n", m.start(), end))
        i = end
    out.append(text[i:])
    return "".join(out)


def module_path(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    if rel in (["lib"], ["main"]):
        rel = []
    return rel


def group_heads(body):
    """Top-level names inside `{a, b::c, d::{e, f}}` (body without the outer braces)."""
    heads, depth, cur = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if depth == 0 and ch == ",":
            heads.append(cur)
            cur = ""
        else:
            cur += ch
    heads.append(cur)
    names = []
    for h in heads:
        m = re.match(r"\s*(" + IDENT + ")", h)
        if m:
            names.append(m.group(1))
    return names


def matching_brace(text, start):
    depth = 0
    for k in range(start, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(text)


def targets(text, modpath):
    """(line, top-level module) for each path that leaves the file's module for another top-level one."""
    found = []
    for m in re.finditer(r"\b(crate|(?:super::)+)\s*(?:::\s*)?(\{|" + IDENT + ")", text):
        line = text.count("\n", 0, m.start()) + 1
        head = m.group(1)
        if head == "crate":
            if m.group(2) == "{":
                end = matching_brace(text, m.start(2))
                names = group_heads(text[m.start(2) + 1:end])
            else:
                names = [m.group(2)]
            for name in names:
                found.append((line, name))
        else:
            ups = head.count("super")
            base = modpath[:-ups] if ups <= len(modpath) else []
            if base:
                continue  # still inside the same top-level module
            # super:: reached the crate root: the next name is a top-level module
            if m.group(2) == "{":
                end = matching_brace(text, m.start(2))
                for name in group_heads(text[m.start(2) + 1:end]):
                    found.append((line, name))
            else:
                found.append((line, m.group(2)))
    return found


def crate_graph(src):
    tops = set()
    for entry in os.listdir(src):
        p = os.path.join(src, entry)
        if entry.endswith(".rs") and entry not in ("lib.rs", "main.rs"):
            tops.add(entry[:-3])
        elif os.path.isdir(p):
            tops.add(entry)
    edges = defaultdict(dict)  # a -> {b: "file:line"}
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d != "tests"]
        for f in files:
            if not f.endswith(".rs") or f == "tests.rs":
                continue
            path = os.path.join(root, f)
            modpath = module_path(src, path)
            if not modpath:
                continue
            text = strip_test_items(strip_comments_and_strings(open(path, encoding="utf-8").read()))
            a = modpath[0]
            for line, b in targets(text, modpath):
                if b in tops and b != a and b not in edges[a]:
                    edges[a][b] = f"{os.path.relpath(path)}:{line}"
    return tops, edges


def cycles(tops, edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(tops):
        if v not in index:
            visit(v)
    return out


def main(argv):
    show = "--graph" in argv
    srcs = [a for a in argv if not a.startswith("--")]
    if not srcs:
        here = os.path.dirname(os.path.abspath(__file__))
        crates = os.path.join(here, "..", "crates")
        srcs = sorted(os.path.join(crates, c, "src") for c in os.listdir(crates) if os.path.isdir(os.path.join(crates, c, "src")))
    bad = 0
    for src in srcs:
        tops, edges = crate_graph(src)
        name = os.path.basename(os.path.dirname(os.path.abspath(src)))
        if show:
            for a in sorted(edges):
                print(f"{name}: {a} -> {', '.join(sorted(edges[a]))}")
        comps = cycles(tops, edges)
        for comp in comps:
            bad += 1
            print(f"{name}: import cycle among {', '.join(comp)}:")
            for a in comp:
                for b, where in sorted(edges[a].items()):
                    if b in comp:
                        print(f"  {a} -> {b}   ({where})")
        if not comps:
            print(f"{name}: {len(tops)} top-level modules, {sum(len(e) for e in edges.values())} edges, no import cycle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
