#!/usr/bin/env python3
"""layers_check.py: the layering rules of core/ (docs/ARCHITECTURE.md), checked on the source.

Fails (exit 1, one line per finding) when
  1. a file outside core/http includes http.h, routes.h or any api_*.h (server.h is the layer's
     entry for core/cli/main.c and allowed; files in ALLOWED_HTTP_INCLUDES pass);
  2. a lua_*/luaL_* call appears outside core/host/ (comments and string literals are ignored;
     third_party/ is not under core/);
  3. the modules form an include cycle. A module is a file stem under core/ (tasks.c + tasks.h
     = module "tasks"; the Lua host's luahost_*.c/.h are one module "luahost", sharing the
     private luahost_int.h); module A depends on B when A's .c or .h includes "B.h". Edges in
     ALLOWED_EDGES (each explained in docs/ARCHITECTURE.md "Known exceptions") are left out of
     the graph.
Usage: layers_check.py [SOURCE_DIR]   (default: $SPOT_SOURCE_DIR, else the repository root).
"""
import os
import re
import sys

HTTP_ONLY = re.compile(r'^(http|routes|api_[A-Za-z0-9_]+)\.h$')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
LUA_CALL = re.compile(r'\b(lua|luaL)_[A-Za-z0-9_]+\s*\(')

# Files outside core/http still allowed to include an HTTP header, each explained in
# docs/ARCHITECTURE.md, "Known exceptions". Remove an entry as soon as its file is split.
ALLOWED_HTTP_INCLUDES = set()

# Include edges (from, to) accepted although they close a cycle. Each one is explained in
# docs/ARCHITECTURE.md, "Known exceptions". Keep this list short.
ALLOWED_EDGES = {
    ('http', 'routes'),   # the server dispatches through the route table, which names api_* handlers
}


def module_of(stem):
    """The module a file stem belongs to."""
    return 'luahost' if stem.startswith('luahost_') else stem


def strip_comments_and_strings(text):
    """C text with comments, string and character literals blanked (line breaks kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(c + ' ' * (min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def sources(core):
    for dirpath, _, names in os.walk(core):
        for name in sorted(names):
            if name.endswith(('.c', '.h')):
                yield os.path.join(dirpath, name)


def find_cycles(graph):
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
                out.append(tuple(sorted(comp)))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def check(root):
    core = os.path.join(root, 'core')
    findings = []
    headers = {}
    files = list(sources(core))
    for path in files:
        if path.endswith('.h'):
            headers[os.path.basename(path)] = path
    graph = {}
    for path in files:
        rel = os.path.relpath(path, root)
        layer = rel.split(os.sep)[1]
        with open(path, encoding='utf-8') as f:
            text = f.read()
        module = module_of(os.path.splitext(os.path.basename(path))[0])
        graph.setdefault(module, set())
        for inc in INCLUDE.findall(text):
            base = os.path.basename(inc)
            if HTTP_ONLY.match(base) and layer != 'http' and rel not in ALLOWED_HTTP_INCLUDES:
                findings.append(f'{rel}: includes {inc} outside core/http')
            if base in headers:
                dep = module_of(os.path.splitext(base)[0])
                if dep != module and (module, dep) not in ALLOWED_EDGES:
                    graph[module].add(dep)
        if layer != 'host':
            code = strip_comments_and_strings(text)
            for m in LUA_CALL.finditer(code):
                line = code.count('\n', 0, m.start()) + 1
                findings.append(f'{rel}:{line}: {m.group(0).rstrip("(").strip()} called outside core/host')
    for cyc in find_cycles(graph):
        findings.append('include cycle between modules: ' + ' <-> '.join(cyc))
    return findings


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        'SPOT_SOURCE_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    findings = check(root)
    for f in findings:
        print(f)
    print(f'layers_check: {len(findings)} finding(s)')
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
