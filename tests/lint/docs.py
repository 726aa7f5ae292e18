#!/usr/bin/env python3
"""docs.py — the manual pages name what the program has, and only that.

Reads the C sources (no build needed) and the pages in packaging/man/, and checks:

  commands  every command of the table in cli/cli.c (what `goniec --help` lists) is an
            entry (.TP tag) under COMMANDS in goniec.8, and every entry there is a command;
  options   every option a command's usage or --help text names (the same table) appears
            in that command's entries in goniec.8, and every option those entries name is
            in its help text; the long options a command's code accepts (getopt tables,
            strcmp(argv[i], "--x")) are in its help text; the global options of
            cli_usage() and main.c's table match OPTIONS in goniec.8;
  config    every key of every `struct cf_field` table (and the key lists of the loader,
            portal points and invoice rules) appears in bold in its section of
            goniec.conf.5: a source type's table under "type: NAME", a route target's
            under "NAME target", sub-tables (.sub) where their parent is, the rest by the
            TABLES map below; a table placed nowhere is an error; each value of an enum key
            is named in that section; a secret key's entry (.TP tag) says "secret" and a
            required key's entry says "required";
  sidecar   every field of known_fields[] in core/sidecar.c (each dotted part), every
            member name that the functions of WRITERS below (the sidecar builder, the
            enrichers of statements, invoices and duplicates, the JSON of invoices and
            statements, alert notices) put in a sidecar, every type and kind of
            core/sniff.c and every alert cause of daemon/alert.c appears in bold in
            goniec-sidecar.5 (the causes also under ALERTS in goniec.8).
  completion  the lists of packaging/bash-completion, from the same commands and help
            texts as above: `commands` holds every command, `global_opts` every long
            global option, `opts[COMMAND]` every long option of the command's help text
            and --help; `subcommands[COMMAND]` the lowercase words of its usage and of
            "goniec COMMAND WORD" lines in its help (bank link, payments pair, ...);
            `dir_opts` and `value_opts` every option a help text shows with an argument
            (and its one-letter alias), a DIR in dir_opts; a command that takes
            arguments has a branch under `case $command`. Each of these the other way
            too: the completion names no command, option (any --long one anywhere in
            the file) or word that goniec does not have.

"In bold" is \\fB...\\fR, .B, or the bold arguments of .BR/.RB/.BI/.IB: where a page
defines a name. Usage: tests/lint/docs.py [AGENT-DIR [MAN-DIR [COMPLETION]]] (default:
agent, packaging/man, packaging/bash-completion). Prints each problem and exits 1 when
there is one (DOCS_DEBUG=1 also prints the sidecar members found).
"""
import os
import re
import sys

agent = sys.argv[1] if len(sys.argv) > 1 else "agent"
mandir = sys.argv[2] if len(sys.argv) > 2 else "packaging/man"
completion = sys.argv[3] if len(sys.argv) > 3 else "packaging/bash-completion"
problems = []


def problem(msg):
    problems.append(msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- C -----------------------------------------------------------------------------------

def strip_comments(src):
    """C text without comments and character constants (string literals kept)."""
    return re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])+\'|/\*.*?\*/|//[^\n]*',
                  lambda m: m.group(0) if m.group(0).startswith('"') else " ", src,
                  flags=re.S)


def literals(text):
    """The string literals of a piece of C, adjacent ones joined (as the compiler does)."""
    out = []
    for m in re.finditer(r'("(?:\\.|[^"\\])*"\s*)+', text):
        parts = re.findall(r'"((?:\\.|[^"\\])*)"', m.group(0))
        s = "".join(parts)
        s = s.replace('\\n', '\n').replace('\\"', '"').replace('\\t', '\t').replace('\\\\', '\\')
        out.append((m.start(), s))
    return out


def braced(text, start, pair="{}"):
    """The text between the brace (or pair[0]) at `start` and its match."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == '"':  # skip a literal
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == '\\' else 1
        elif c == pair[0]:
            depth += 1
        elif c == pair[1]:
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
        i += 1
    raise ValueError("unbalanced braces")


def entries(body):
    """Split an initializer list at its top-level commas."""
    out, depth, cur, in_str, i = [], 0, "", False, 0
    while i < len(body):
        c = body[i]
        if in_str:
            cur += c
            if c == '\\':
                cur += body[i + 1]
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            cur += c
        elif c in '{(':
            depth += 1
            cur += c
        elif c in '})':
            depth -= 1
            cur += c
        elif c == ',' and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out


sources, macros = {}, {}  # path -> C text; name -> (parameters, body) of #define NAME(...)
for root, _, files in os.walk(agent):
    for name in files:
        if name.endswith((".c", ".h")):
            path = os.path.join(root, name)
            src = strip_comments(read(path))
            if name.endswith(".c"):
                sources[os.path.relpath(path, agent)] = src
            for m in re.finditer(r'#define\s+(\w+)\(([^)]*)\)((?:[^\n]*\\\n)*[^\n]*)', src):
                macros[m.group(1)] = ([a.strip() for a in m.group(2).split(",")],
                                      m.group(3).replace("\\\n", " "))


def expand(entry):
    """The entries a macro call of a table stands for (COLUMN(i, "key"), ...)."""
    m = re.match(r'(\w+)\s*\((.*)\)$', entry, re.S)
    if not m or m.group(1) not in macros:
        return [entry]
    params, body = macros[m.group(1)]
    for p, a in zip(params, entries(m.group(2))):
        body = re.sub(r'\b' + re.escape(p) + r'\b', lambda _: a, body)
    return [e for e in entries(body.strip().rstrip(",")) if e]


def initializers(src, decl):
    """(name, body) of each `... decl NAME[] = {...}` or `decl NAME = {...}` in src."""
    for m in re.finditer(decl + r'\s+(\w+)\s*(\[\s*\])?\s*=\s*\{', src):
        yield m.group(1), braced(src, m.end() - 1)


# ---- groff ---------------------------------------------------------------------------------

ESCAPES = [(r'\-', '-'), (r'\(dq', '"'), (r'\(em', ' '), (r'\(lq', '"'), (r'\(rq', '"'),
           (r'\(/l', 'l'), (r'\~', ' '), (r'\:', ''), (r'\&', ''), (r'\|', ''), (r'\e', '\\')]


def plain(s):
    s = re.sub(r'\\f[BIRP]', '', s)
    for a, b in ESCAPES:
        s = s.replace(a, b)
    return s


def macro_args(rest):
    args, i = [], 0
    while i < len(rest):
        if rest[i].isspace():
            i += 1
        elif rest[i] == '"':
            j, a = i + 1, ""
            while j < len(rest):
                if rest[j] == '"':
                    if rest[j + 1:j + 2] == '"':
                        a += '"'
                        j += 2
                        continue
                    break
                a += rest[j]
                j += 1
            args.append(a)
            i = j + 1
        else:
            j = i
            while j < len(rest) and not rest[j].isspace():
                j += 1
            args.append(rest[i:j])
            i = j
    return args


def bold_texts(line):
    """The texts a line of groff sets in bold."""
    out = re.findall(r'\\fB(.*?)(?=\\f[RIP]|$)', line)
    m = re.match(r'\.(B|BR|RB|BI|IB)\s+(.*)', line)
    if m:
        args = macro_args(m.group(2))
        if m.group(1) == 'B':
            out.append(" ".join(args))
        else:
            first = 0 if m.group(1) in ('BR', 'BI') else 1
            out += args[first::2]
    return [plain(t) for t in out]


def words(texts):
    """Names in bold texts: each word, and each part of a dotted or path-like word."""
    out = set()
    for t in texts:
        for w in re.findall(r'[A-Za-z0-9_][A-Za-z0-9_.*-]*', t):
            w = w.rstrip('.')
            out.add(w)
            out.update(p for p in re.split(r'[.*]', w) if p)
    return out


class Page:
    """A manual page cut into its sections (.SH and .SS, each up to the next of either)."""

    def __init__(self, name):
        self.name = name
        self.lines = read(os.path.join(mandir, name)).split("\n")
        self.sections = {}
        cur = None
        for line in self.lines:
            m = re.match(r'\.S[HS]\s+(.*)', line)
            if m:
                cur = plain(" ".join(macro_args(m.group(1))))
                self.sections.setdefault(cur, [])
            elif cur is not None:
                self.sections[cur].append(line)

    def section(self, title):
        if title not in self.sections:
            problem(f"{self.name}: no section \"{title}\"")
            return []
        return self.sections[title]

    def tp_entries(self, title):
        """(tag line, lines of the entry) of each .TP of a section."""
        out, cur, lines = [], None, self.section(title)
        for i, line in enumerate(lines):
            if line.startswith(".TP"):
                cur = [lines[i + 1], []]
                out.append(cur)
            elif re.match(r'\.(PP|P|LP|SH|SS)\b', line):
                cur = None
            elif cur is not None:
                cur[1].append(line)
        return out


def bold_in(lines):
    return words(t for line in lines for t in bold_texts(line))


OPTION = re.compile(r'(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)')


def options_in(text):
    return set(OPTION.findall(text))


# ---- commands and options ---------------------------------------------------------------------

man8 = Page("goniec.8")
cli = sources.get("cli/cli.c", "")
commands = {}  # name -> (function, usage + help text)
command_args = {}  # name -> its usage alone ("link|accounts NAME [--code ADDRESS]")
for name, body in initializers(cli, r'struct command'):
    for e in entries(body):
        if not e.startswith("{"):
            continue
        fields = entries(e[1:-1])
        texts = [s for f in fields for _, s in literals(f)]
        if len(fields) >= 5 and texts:
            commands[texts[0]] = (fields[1].strip(), " ".join(texts[1:]))
            command_args[texts[0]] = texts[1] if len(texts) > 1 else ""
if not commands:
    problem(f"{agent}/cli/cli.c: no command table found")

man_entries = {}  # command -> text of its entries
for tag, body in man8.tp_entries("COMMANDS"):
    m = re.match(r'\.\w+\s+(.*)', tag)
    args = macro_args(m.group(1)) if m else [tag]
    cmd = plain(args[0]).split()[0] if args and plain(args[0]).split() else tag
    man_entries.setdefault(cmd, "")
    man_entries[cmd] += plain(" ".join(macro_args(m.group(1))) if m else tag) + "\n"
    man_entries[cmd] += "\n".join(plain(line) for line in body) + "\n"

for cmd in commands:
    if cmd not in man_entries:
        problem(f"goniec.8: command '{cmd}' (goniec --help) has no entry under COMMANDS")
for cmd in man_entries:
    if cmd not in commands:
        problem(f"goniec.8: COMMANDS describes '{cmd}', which is no command of goniec")

UNIVERSAL = {"-h", "--help"}  # every command takes them (cli_simple_options)
for cmd, (fn, helptext) in commands.items():
    if cmd not in man_entries:
        continue
    have, documented = options_in(helptext), options_in(man_entries[cmd])
    for opt in sorted(have - documented - UNIVERSAL):
        problem(f"goniec.8: option {opt} of '{cmd}' (goniec {cmd} --help) is not in its entry")
    for opt in sorted(documented - have - UNIVERSAL):
        problem(f"goniec.8: the entry of '{cmd}' names {opt}, which `goniec {cmd} --help` "
                f"does not list")


def accepted_options(src):
    opts = {"--" + n for n in re.findall(
        r'\{\s*"([\w-]+)"\s*,\s*(?:no|required|optional)_argument', src)}
    opts |= set(re.findall(r'strcmp\s*\(\s*argv\s*\[[^]]*\]\s*,\s*"(--?[\w-]+)"\s*\)', src))
    return opts - UNIVERSAL - {"--"}


fn_to_cmd = {fn: cmd for cmd, (fn, _) in commands.items()}
for path, src in sorted(sources.items()):
    if not path.startswith("cli/cmd_"):
        continue
    defined = [fn_to_cmd[f] for f in re.findall(r'\bint\s+(cmd_\w+)\s*\(\s*struct cli', src)
               if f in fn_to_cmd]
    helps = " ".join(commands[c][1] for c in defined)
    for opt in sorted(accepted_options(src) - options_in(helps)):
        problem(f"{agent}/{path}: {'/'.join(defined)} accepts {opt}, which its --help "
                f"(cli/cli.c) does not list")

usage = "".join(s for _, s in literals(
    re.search(r'void cli_usage\(.*?\n\}', cli, re.S).group(0) if "cli_usage" in cli else ""))
global_help = usage.split("Options:", 1)[-1].split("Exit status", 1)[0]
global_opts = options_in(global_help)
global_man = options_in("\n".join(plain(line) for line in man8.section("OPTIONS")))
for opt in sorted(global_opts - global_man):
    problem(f"goniec.8: global option {opt} (goniec --help) is not under OPTIONS")
for opt in sorted(global_man - global_opts):
    problem(f"goniec.8: OPTIONS names {opt}, which `goniec --help` does not list")
for opt in sorted(accepted_options(sources.get("main.c", "")) - global_opts):
    problem(f"{agent}/main.c: goniec accepts {opt}, which `goniec --help` does not list")

# ---- bash completion ---------------------------------------------------------------------------

# An option a help text shows with its argument: "--trace DIR", "--code 'ADDRESS'",
# "-i, --interval T", "--shard K/N".
OPTION_ARG = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)[ =]'?([A-Z][A-Z0-9/]*)(?![\w])")
ALIAS = re.compile(r'(?<![\w-])(-[A-Za-z]), (--[A-Za-z][A-Za-z0-9-]*)')


def long_options(text):
    return {o for o in options_in(text) if o.startswith("--")}


def completion_lists(text):
    """The `local NAME="..."` strings and `local -A NAME=([KEY]="...")` arrays of the file."""
    strings, arrays = {}, {}
    for name, value in re.findall(r'^\s*local (\w+)="([^"]*)"', text, re.M):
        if name in strings:
            problem(f"{os.path.basename(completion)}: {name} is set twice")
        strings[name] = value
    for m in re.finditer(r'^\s*local -A (\w+)=\((.*?)^\s*\)', text, re.M | re.S):
        if m.group(1) in arrays:
            problem(f"{os.path.basename(completion)}: {m.group(1)} is set twice")
        arrays[m.group(1)] = {k: v.split() for k, v in
                              re.findall(r'\[([\w-]+)\]="([^"]*)"', m.group(2))}
    return strings, arrays


def case_branches(text, subject):
    """The words of the patterns of `case SUBJECT in` (its own level, not nested cases)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r'(\s*)case ' + re.escape(subject) + r' in\s*$', line)
        if not m:
            continue
        indent, out = m.group(1), []
        for line in lines[i + 1:]:
            if line == indent + "esac":
                return out
            p = re.match(re.escape(indent) + r'([a-z][\w| -]*)\)', line)
            if p:
                out += [w.strip() for w in p.group(1).split("|")]
        return out
    return None


comp_text = read(completion) if os.path.exists(completion) else None
if comp_text is None:
    problem(f"{completion}: no such file")
else:
    cname = os.path.basename(completion)
    strings, arrays = completion_lists(comp_text)
    for var in ("commands", "global_opts", "dir_opts", "value_opts"):
        if var not in strings:
            problem(f"{cname}: no `local {var}=\"...\"` (tests/lint/docs.py reads it)")
    for var in ("opts", "subcommands"):
        if var not in arrays:
            problem(f"{cname}: no `local -A {var}=(...)` (tests/lint/docs.py reads it)")
    opts, subs = arrays.get("opts", {}), arrays.get("subcommands", {})
    listed = set(strings.get("commands", "").split())

    # commands
    for cmd in commands:
        if cmd not in listed:
            problem(f"{cname}: command '{cmd}' (goniec --help) is not in commands")
        if "opts" in arrays and cmd not in opts:
            problem(f"{cname}: command '{cmd}' has no opts[{cmd}]")
    for cmd in sorted((listed | set(opts) | set(subs)) - set(commands)):
        problem(f"{cname}: names the command '{cmd}', which goniec does not have")

    # options, each command's and the global ones
    all_opts = set(global_opts) | UNIVERSAL
    for cmd, (_, helptext) in commands.items():
        all_opts |= options_in(helptext)
        if cmd not in opts:
            continue
        want, have = long_options(helptext) | {"--help"}, set(opts[cmd])
        for opt in sorted(want - have):
            problem(f"{cname}: option {opt} of '{cmd}' (goniec {cmd} --help) is not in "
                    f"opts[{cmd}]")
        for opt in sorted(have - want):
            problem(f"{cname}: opts[{cmd}] names {opt}, which `goniec {cmd} --help` does "
                    f"not list")
    have = set(strings.get("global_opts", "").split())
    for opt in sorted(long_options(global_help) - have):
        problem(f"{cname}: global option {opt} (goniec --help) is not in global_opts")
    for opt in sorted(have - long_options(global_help)):
        problem(f"{cname}: global_opts names {opt}, which `goniec --help` does not list")
    named = long_options(comp_text) | {o for v in ("dir_opts", "value_opts")
                                       for o in strings.get(v, "").split()}
    for opt in sorted(named - all_opts):
        problem(f"{cname}: names the option {opt}, which goniec does not have")

    # options that take an argument: the completion must not offer a command, source or
    # option in its place, nor count it as one of the command's arguments
    texts = [global_help] + [h for _, h in commands.values()]
    takes = {o: arg for t in texts for o, arg in OPTION_ARG.findall(t) if o.startswith("--")}
    aliases = {long: short for t in texts for short, long in ALIAS.findall(t)}
    dir_opts = set(strings.get("dir_opts", "").split())
    value_opts = set(strings.get("value_opts", "").split())
    for opt, arg in sorted(takes.items()):
        where = "dir_opts" if arg == "DIR" else "value_opts"
        for o in [opt] + ([aliases[opt]] if opt in aliases else []):
            if o not in (dir_opts if arg == "DIR" else value_opts):
                problem(f"{cname}: {o} takes an argument ({opt} {arg}) and is not in {where}")
    for o in sorted((dir_opts | value_opts) - set(takes) - {aliases[t] for t in takes
                                                            if t in aliases}):
        problem(f"{cname}: {o} is in dir_opts or value_opts, and no help text shows it "
                f"with an argument")

    # words a command takes first: bank link, payments pair, ...
    for cmd, (_, helptext) in commands.items():
        want = set(re.findall(r'(?<![\w-])([a-z][a-z-]*)(?![\w-])', command_args[cmd]))
        want |= set(re.findall(r'goniec ' + re.escape(cmd) + r' ([a-z][a-z-]*)(?![\w-])',
                               helptext))
        have = set(subs.get(cmd, []))
        for w in sorted(want - have):
            problem(f"{cname}: '{cmd} {w}' (goniec {cmd} --help) is not in subcommands[{cmd}]")
        for w in sorted(have - want):
            problem(f"{cname}: subcommands[{cmd}] names '{w}', which `goniec {cmd} --help` "
                    f"does not show")

    # a command that takes arguments has a branch that completes them
    branches = case_branches(comp_text, "$command")
    if branches is None:
        problem(f"{cname}: no `case $command in` (tests/lint/docs.py reads it)")
        branches = []
    for b in sorted(set(branches) - set(commands)):
        problem(f"{cname}: case $command has a branch for '{b}', which is no command")
    for cmd in commands:
        rest = OPTION_ARG.sub(" ", command_args[cmd])
        rest = OPTION.sub(" ", rest).replace("OPTS", " ")
        if re.search(r'\w', rest) and cmd not in branches:
            problem(f"{cname}: '{cmd}' takes arguments ({command_args[cmd]}) and has no "
                    f"branch under case $command")

# ---- configuration keys ---------------------------------------------------------------------

conf5 = Page("goniec.conf.5")

# Where the tables that are not a source type's or a route target's are described:
# (file, table) -> section of goniec.conf.5. A table neither here nor reached from one
# (by .sub) is an error, so a new table must be given a place.
TABLES = {
    ("conf/load.c", "agent_fields"): "AGENT",
    ("conf/load.c", "company_fields"): "COMPANY",
    ("conf/load.c", "source_common_fields"): "SOURCES",
    ("conf/load.c", "route_common_fields"): "ROUTES",
    ("forward/route.c", "route_fields"): "ROUTES",
    ("core/schedule.c", "schedule_fields"): "SOURCES",
    ("core/oauth.c", "oauth_fields"): "OAUTH SETTINGS",
    ("formats/bankcsv.c", "map_fields"): "BANK CSV MAPS",
    ("formats/bankcsv.c", "rule_fields"): "BANK CSV MAPS",
    ("formats/invrules.c", "rule_fields"): "INVOICE FIELD RULES",
    ("formats/invrules.c", "party_fields"): "INVOICE FIELD RULES",
}
# Keys read without a table: (file, array of key names) -> section.
KEY_LISTS = {
    ("conf/load.c", "document_keys"): "DESCRIPTION",
    ("sources/portal/portal.c", "keys"): "type: portal",
    ("formats/invrules.c", "keys"): "INVOICE FIELD RULES",
}

def enum_values(path, name):
    """The strings of the array `name` (a CF_ENUM's values) of a file."""
    if not name:
        return []
    for src in [sources[path]] + list(sources.values()):  # its file's first, else an extern
        m = re.search(r'const char \*const ' + name + r'\[\]\s*=\s*\{', src)
        if m:
            return [v for _, v in literals(braced(src, m.end() - 1))]
    problem(f"{agent}/{path}: cannot find the values {name}")
    return []


tables = {}  # (file, table) -> [(key, secret, required, sub, enum values)]
for path, src in sources.items():
    for name, body in initializers(src, r'struct cf_field'):
        rows = []
        for e in [x for e in entries(body) for x in expand(e)]:
            if e == "CF_END" or not e:
                continue
            key = re.search(r'\.key\s*=\s*"([^"]*)"', e)
            lit = literals(e)
            key = key.group(1) if key else (lit[0][1] if lit else None)
            if key is None:
                problem(f"{agent}/{path}: {name}: cannot read the key of {e[:60]}")
                continue
            positional = [f.strip() for f in entries(e.strip("{}"))] if e.startswith("{") else []
            secret = "CF_SECRET" in e
            required = "CF_REQUIRED" in e
            sub = re.search(r'\.sub\s*=\s*(\w+)', e)
            sub = sub.group(1) if sub else (positional[8] if len(positional) > 8 and
                                             positional[8] != "NULL" else None)
            enum = re.search(r'\.enum_values\s*=\s*(\w+)', e)
            enum = enum.group(1) if enum else (positional[7] if len(positional) > 7 and
                                               positional[7] != "NULL" else None)
            rows.append((key, secret, required, sub, enum_values(path, enum)))
        if rows:
            tables[(path, name)] = rows

placed = dict(TABLES)
for path, src in sources.items():
    for _, body in initializers(src, r'const struct source_type'):
        n, f = re.search(r'\.name\s*=\s*"([^"]*)"', body), re.search(r'\.fields\s*=\s*(\w+)', body)
        if n and f:
            placed[(path, f.group(1))] = "type: " + n.group(1)
    for _, body in initializers(src, r'const struct target_type'):
        k, f = re.search(r'\.key\s*=\s*"([^"]*)"', body), re.search(r'\.fields\s*=\s*(\w+)', body)
        if k and f:
            placed[(path, f.group(1))] = k.group(1) + " target"
changed = True
while changed:  # sub-tables are described where their parent is
    changed = False
    for (path, name), rows in tables.items():
        for _, _, _, sub, _ in rows:
            if sub and (path, name) in placed and (path, sub) not in placed:
                placed[(path, sub)] = placed[(path, name)]
                changed = True


def tag_lines_with(lines, key):
    """The .TP tag lines of a section whose bold words include key."""
    return [lines[i + 1] for i, line in enumerate(lines)
            if line.startswith(".TP") and i + 1 < len(lines)
            and key in words(bold_texts(lines[i + 1]))]


for (path, name), rows in sorted(tables.items()):
    section = placed.get((path, name))
    if section is None:
        problem(f"{agent}/{path}: table {name} is described nowhere: give it a section of "
                f"goniec.conf.5 in TABLES of tests/lint/docs.py")
        continue
    lines = conf5.section(section)
    bold = bold_in(lines)
    text = plain("\n".join(lines))
    for key, secret, required, _, values in rows:
        if key not in bold:
            problem(f"goniec.conf.5: key '{key}' ({agent}/{path}, {name}) is not described "
                    f"under \"{section}\"")
            continue
        for v in values:
            if not re.search(r'(?<![\w-])' + re.escape(v) + r'(?![\w-])', text, re.I):
                problem(f"goniec.conf.5: \"{section}\": value '{v}' of key '{key}' is not "
                        f"named")
        tags = " ".join(plain(t) for t in tag_lines_with(lines, key))
        if not tags:  # named in the prose of another key's entry
            continue
        if secret and "secret" not in tags:
            problem(f"goniec.conf.5: \"{section}\": key '{key}' is a secret (also "
                    f"{key}_file, _env, _credential), and its entry does not say so")
        if required and "required" not in tags:
            problem(f"goniec.conf.5: \"{section}\": key '{key}' is required, and its entry "
                    f"does not say so")

for (path, name), section in KEY_LISTS.items():
    m = re.search(r'const char \*const ' + name + r'\[\]\s*=\s*\{', sources.get(path, ""))
    if not m:
        problem(f"{agent}/{path}: no key list {name} (KEY_LISTS of tests/lint/docs.py)")
        continue
    bold = bold_in(conf5.section(section))
    for _, key in literals(braced(sources[path], m.end() - 1)):
        if key not in bold:
            problem(f"goniec.conf.5: key '{key}' ({agent}/{path}, {name}) is not described "
                    f"under \"{section}\"")

# ---- sidecar members ------------------------------------------------------------------------

sidecar5 = Page("goniec-sidecar.5")
sidecar_bold = bold_in(sidecar5.lines)
side = sources.get("core/sidecar.c", "")
m = re.search(r'known_fields\[\]\s*=\s*\{', side)
if not m:
    problem(f"{agent}/core/sidecar.c: no known_fields[]")
members = {}  # name -> where it is written
for _, path_ in literals(braced(side, m.end() - 1)) if m else []:
    for part in path_.split("."):
        if part != "*":
            members.setdefault(part, "core/sidecar.c known_fields")

# What writes a sidecar: these functions and those of the same file they call; each
# member name they give a JSON writer (json_object_set*, set_*, put_*) as its second
# argument (set_str(j, "k", ...),
# json_object_set_new(j, "k", ...), put_path(o, "a.b", ...)) or as a key of a json_pack
# format ("{s:s, s:b}", "k", v, ...), and each name of a field_names[] table they use.
WRITERS = {
    "core/sidecar.c": ["sidecar_build"],
    "sources/invoice_enrich.c": ["invoice_enrich"],
    "sources/statement_enrich.c": ["statement_enrich"],
    "formats/invoice.c": ["invoice_to_json"],
    "formats/statement.c": ["stmt_sidecar_json", "stmt_sidecar_error_json"],
    "daemon/alert.c": ["alert_file"],
}


def functions(src):
    """name -> body of each function defined in a C file."""
    return {m.group(1): braced(src, m.end() - 1) for m in re.finditer(
        r'^[A-Za-z][\w \t*]*?\b(\w+)\s*\([^;{}]*\)\s*\{', src, re.M)}


for path, roots in WRITERS.items():
    src = sources.get(path, "")
    defined = functions(src)
    todo, seen = list(roots), set()
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        if fn not in defined:
            problem(f"{agent}/{path}: no function {fn} (WRITERS of tests/lint/docs.py)")
            continue
        seen.add(fn)
        body = defined[fn]
        todo += [c for c in re.findall(r'\b(\w+)\s*\(', body) if c in defined]
        for key in re.findall(r'\b(?:json_object_set\w*|set_\w+|put_\w+)\s*\(\s*[^,()"]+,'
                              r'\s*"([\w.]+)"', body):
            for part in key.split("."):
                members.setdefault(part, f"{path} {fn}")
        for call in re.finditer(r'json_pack\s*\(', body):
            args = entries(braced(body, call.end() - 1, "()"))
            fmt = "".join(s for _, s in literals(args[0]))
            specs = re.findall(r'[a-zA-Z][?*#%]*:?', fmt)  # each letter takes one argument
            for spec, arg in zip(specs, args[1:]):
                lit = literals(arg)
                if spec.endswith(":") and lit:
                    members.setdefault(lit[0][1], f"{path} {fn}")
        if "field_names[" in body:
            m = re.search(r'field_names\[\]\s*=\s*\{', src)
            for _, key in literals(braced(src, m.end() - 1)) if m else []:
                for part in key.split("."):
                    members.setdefault(part, path + " field_names")

# The values of type and kind the content gives (core/sniff.c), and the causes of alerts
# (daemon/alert.c, also under ALERTS in goniec.8).
for t, _, kind in re.findall(r'\bR_\w+\s*=\s*\{\s*"([^"]*)",\s*"([^"]*)",\s*"([^"]*)"\s*\}',
                             sources.get("core/sniff.c", "")):
    members.setdefault(t, "core/sniff.c (type)")
    members.setdefault(kind, "core/sniff.c (kind)")
m = re.search(r'causes\[\]\s*=\s*\{', sources.get("daemon/alert.c", ""))
alerts_text = plain("\n".join(man8.section("ALERTS")))
for _, cause in literals(braced(sources["daemon/alert.c"], m.end() - 1)) if m else []:
    members.setdefault(cause, "daemon/alert.c (alert.cause)")
    if cause not in bold_in(man8.section("ALERTS")):
        problem(f"goniec.8: alert cause '{cause}' ({agent}/daemon/alert.c) is not under ALERTS")
if not m:
    problem(f"{agent}/daemon/alert.c: no causes[]")

if os.environ.get("DOCS_DEBUG"):
    print(sorted(members.items()))
for name, where in sorted(members.items()):
    if name not in sidecar_bold:
        problem(f"goniec-sidecar.5: member '{name}' ({agent}/{where}) is not described")

for p in problems:
    print(p)
if problems:
    print(f"docs.py: {len(problems)} problem(s): the manual pages or the completion and the "
          f"program disagree")
sys.exit(1 if problems else 0)
