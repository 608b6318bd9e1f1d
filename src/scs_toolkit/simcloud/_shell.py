"""The small POSIX shell a simulated guest runs: enough for the commands checks send to real VMs.

Check scripts do not send single commands; they send shell: `cat /dev/random | rngtest -c 1000
2>&1 | awk '$0="_scs-test-fips-test: "$0'`, `sudo /bin/sh -c 'od -vAn -N2 -tu2 < /dev/hwrng'`,
`a; b`, `a && b || c`. This module parses and runs such lines: quoting, pipes, `;` `&&` `||`,
redirections (`<`, `>`, `>>`, `2>&1`, `>&2`, `&>`, `/dev/null`), `sudo`, `sh -c`, and the
generic tools (echo, cat, awk's `pattern`/`print` subset, head, true, false, sleep). What the
guest has (files, devices, installed programs) comes from a `System`; output keeps the order in
which stdout and stderr were written, as a console shows it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

#: `name` of the shell in messages, and whether it speaks like bash or like dash (/bin/sh)
BASH = "bash"


class ShellFileError(Exception):
    """A file the guest does not have (or cannot read): message as the tool would print it."""


@dataclass(frozen=True)
class Stream:
    """What flows into a command: text, or an endless device such as /dev/random."""

    text: str = ""
    device: str | None = None


@dataclass
class Output:
    """What a command wrote, in order: (1, text) for stdout, (2, text) for stderr, and its status.

    `device` marks stdout as an endless device stream (`cat /dev/random`), for the next command.
    """

    chunks: list[tuple[int, str]] = field(default_factory=list)
    status: int = 0
    device: str | None = None

    def out(self, text: str) -> Output:
        if text:
            self.chunks.append((1, text))
        return self

    def err(self, text: str) -> Output:
        if text:
            self.chunks.append((2, text))
        return self

    @property
    def stdout(self) -> str:
        return "".join(t for fd, t in self.chunks if fd == 1)

    @property
    def stderr(self) -> str:
        return "".join(t for fd, t in self.chunks if fd == 2)

    @property
    def combined(self) -> str:
        return "".join(t for _, t in self.chunks)


@dataclass(frozen=True)
class Invocation:
    argv: tuple[str, ...]
    stdin: Stream
    shell: Shell
    root: bool = False


Program = Callable[[Invocation], Output]


class System(Protocol):
    """The guest as the shell sees it."""

    def read(self, path: str, root: bool) -> Stream:
        """A file's content or a device stream; ShellFileError if it cannot be opened."""
        ...

    def program(self, name: str) -> Program | None:
        """An installed program by name or path, or None."""
        ...


# -- parsing ---------------------------------------------------------------------------------------


class ShellSyntaxError(Exception):
    pass


@dataclass(frozen=True)
class _Word:
    text: str


@dataclass(frozen=True)
class _Op:
    text: str


@dataclass(frozen=True)
class _Redirect:
    fd: int
    mode: str  # "out", "append", "in", "dup" (n>&m), "both" (&>)
    target: str


@dataclass(frozen=True)
class _Simple:
    argv: tuple[str, ...]
    redirects: tuple[_Redirect, ...]
    line: int


_OPERATORS = ("&&", "||", ";;", "|", ";", "&", "\n")
_REDIRECTION = re.compile(r"&>|\d*(>>|>&|<&|>|<)")


def _tokens(text: str) -> list[tuple[_Word | _Op, int]]:
    """Words (quotes resolved) and operators, each with its line number."""
    result: list[tuple[_Word | _Op, int]] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        char = text[i]
        if char in " \t\r":
            i += 1
            continue
        if char == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if char == "\\" and i + 1 < n and text[i + 1] == "\n":
            i, line = i + 2, line + 1
            continue
        if text.startswith("&>", i):
            result.append((_Op("&>"), line))
            i += 2
            continue
        operator = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if operator:
            result.append((_Op(";" if operator in ("\n", "&", ";;") else operator), line))
            line += operator == "\n"
            i += len(operator)
            continue
        if char in "<>":
            i = _redirect_op(text, i, "", result, line)
            continue
        word, quoted = [], False
        while i < n and text[i] not in " \t\r\n|;&<>":
            char = text[i]
            if char == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise ShellSyntaxError("Unterminated quoted string")
                word.append(text[i + 1 : end])
                i, quoted = end + 1, True
            elif char == '"':
                i += 1
                while i < n and text[i] != '"':
                    if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\$`':
                        i += 1
                    word.append(text[i])
                    i += 1
                if i >= n:
                    raise ShellSyntaxError("Unterminated quoted string")
                i, quoted = i + 1, True
            elif char == "\\" and i + 1 < n:
                word.append(text[i + 1])
                i += 2
            else:
                word.append(char)
                i += 1
        joined = "".join(word)
        if not quoted and joined.isdigit() and i < n and text[i] in "<>":
            i = _redirect_op(text, i, joined, result, line)  # `2>`, `2>&1`
        else:
            result.append((_Word(joined), line))
    return result


def _redirect_op(text: str, i: int, fd: str, result: list[tuple[_Word | _Op, int]], line: int) -> int:
    for op in (">>", ">&", "<&", ">", "<"):
        if text.startswith(op, i):
            result.append((_Op(fd + op), line))
            return i + len(op)
    raise ShellSyntaxError(f"unexpected {text[i]}")  # not reached: the caller saw < or >


def _parse(text: str) -> list[tuple[str, list[_Simple]]]:
    """A list of (connector, pipeline): connector is ';', '&&' or '||' (how it joins the previous one)."""
    items: list[tuple[str, list[_Simple]]] = []
    connector = ";"
    pipeline: list[_Simple] = []
    argv: list[str] = []
    redirects: list[_Redirect] = []
    line = 1
    tokens = _tokens(text)
    index = 0

    def finish_command() -> None:
        nonlocal argv, redirects
        if argv or redirects:
            pipeline.append(_Simple(tuple(argv), tuple(redirects), line))
        elif pipeline:
            raise ShellSyntaxError('Syntax error: "|" unexpected')
        argv, redirects = [], []

    while index < len(tokens):
        token, line_of = tokens[index]
        if not argv and not redirects:
            line = line_of
        index += 1
        if isinstance(token, _Word):
            argv.append(token.text)
            continue
        op = token.text
        if _REDIRECTION.fullmatch(op):
            if index >= len(tokens) or not isinstance(tokens[index][0], _Word):
                raise ShellSyntaxError("Syntax error: redirection unexpected")
            target = tokens[index][0].text
            index += 1
            redirects.append(_redirection(op, target))
            continue
        if op == "|":
            if not argv and not redirects:
                raise ShellSyntaxError('Syntax error: "|" unexpected')
            finish_command()
            continue
        finish_command()
        if not pipeline:
            if op == ";":
                continue
            raise ShellSyntaxError(f'Syntax error: "{op}" unexpected')
        items.append((connector, pipeline))
        connector, pipeline = op, []
    finish_command()
    if pipeline:
        items.append((connector, pipeline))
    elif connector in ("&&", "||"):
        raise ShellSyntaxError("Syntax error: end of file unexpected")
    return items


def _redirection(op: str, target: str) -> _Redirect:
    if op == "&>":
        return _Redirect(1, "both", target)
    digits = re.match(r"^(\d*)(.*)$", op)
    assert digits is not None
    number, symbol = digits.group(1), digits.group(2)
    if symbol in ("<", "<&"):
        return _Redirect(int(number or 0), "in", target)
    fd = int(number or 1)
    if symbol == ">&":
        if target.isdigit():
            return _Redirect(fd, "dup", target)
        return _Redirect(1, "both", target)
    return _Redirect(fd, "append" if symbol == ">>" else "out", target)


# -- running ---------------------------------------------------------------------------------------


class Shell:
    """Runs command lines on a `System`. `name` is what error messages start with (bash, sh, a script)."""

    def __init__(self, system: System, name: str = BASH) -> None:
        self.system = system
        self.name = name

    @property
    def is_bash(self) -> bool:
        return self.name == BASH

    def run(self, text: str, stdin: Stream | None = None, root: bool = False) -> Output:
        try:
            items = _parse(text)
        except ShellSyntaxError as error:
            message = f"{self.name}: 1: {error}\n" if not self.is_bash else f"bash: syntax error: {error}\n"
            return Output(status=2).err(message)
        result = Output()
        for connector, pipeline in items:
            if (connector == "&&" and result.status != 0) or (connector == "||" and result.status == 0):
                continue
            output = self._pipeline(pipeline, stdin or Stream(), root)
            result.chunks.extend(output.chunks)
            result.status = output.status
        return result

    def _pipeline(self, pipeline: list[_Simple], stdin: Stream, root: bool) -> Output:
        result = Output()
        stream = stdin
        for position, command in enumerate(pipeline):
            output = self._simple(command, stream, root)
            last = position == len(pipeline) - 1
            piped = [t for fd, t in output.chunks if fd == 1]
            for fd, text in output.chunks:
                if fd == 2 or last:
                    result.chunks.append((fd, text))
            if not last:
                stream = Stream("".join(piped), output.device)
            result.status = output.status
            result.device = output.device
        return result

    def _simple(self, command: _Simple, stdin: Stream, root: bool) -> Output:
        targets: dict[int, str] = {1: "1", 2: "2"}
        for redirect in command.redirects:
            if redirect.mode == "in":
                try:
                    stdin = self.system.read(redirect.target, root)
                except ShellFileError:
                    return Output(status=2 if not self.is_bash else 1).err(self.cannot_open(redirect.target, command))
            elif redirect.mode == "dup":
                targets[redirect.fd] = targets.get(int(redirect.target), redirect.target)
            elif redirect.mode == "both":
                targets[1] = targets[2] = "null"
            else:
                targets[redirect.fd] = "null"  # /dev/null or a file: the output leaves the terminal
        if not command.argv:
            return Output()
        output = self.execute(command.argv, stdin, root, command.line)
        routed = Output(status=output.status, device=output.device if targets[1] == "1" else None)
        for fd, text in output.chunks:
            destination = targets.get(fd, str(fd))
            if destination in ("1", "2"):
                routed.chunks.append((int(destination), text))
        return routed

    def execute(self, argv: tuple[str, ...], stdin: Stream, root: bool, line: int = 1) -> Output:
        name = argv[0]
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            return builtin(Invocation(argv, stdin, self, root))
        program = self.system.program(name)
        if program is None:
            if self.is_bash:
                return Output(status=127).err(f"bash: {name}: command not found\n")
            return Output(status=127).err(f"{self.name}: {line}: {name}: not found\n")
        return program(Invocation(argv, stdin, self, root))

    def cannot_open(self, path: str, command: _Simple) -> str:
        if self.is_bash:
            return f"bash: {path}: No such file or directory\n"
        return f"{self.name}: {command.line}: cannot open {path}: No such file\n"


# -- generic tools ---------------------------------------------------------------------------------


def _echo(call: Invocation) -> Output:
    words = list(call.argv[1:])
    newline = "\n"
    if words and words[0] == "-n":
        words, newline = words[1:], ""
    return Output().out(" ".join(words) + newline)


def _status(code: int) -> Program:
    return lambda call: Output(status=code)


def _sudo(call: Invocation) -> Output:
    words = list(call.argv[1:])
    while words and words[0].startswith("-"):
        option = words.pop(0)
        if option in ("-u", "-g") and words:
            words.pop(0)
    if not words:
        return Output(status=1).err("usage: sudo command\n")
    if words[0] not in _BUILTINS and call.shell.system.program(words[0]) is None:
        return Output(status=1).err(f"sudo: {words[0]}: command not found\n")
    return call.shell.execute(tuple(words), call.stdin, root=True)


def _sh(call: Invocation) -> Output:
    words = list(call.argv[1:])
    name = BASH if call.argv[0] in ("bash", "/bin/bash") else call.argv[0]
    if len(words) >= 2 and words[0] == "-c":
        return Shell(call.shell.system, name).run(words[1], call.stdin, call.root)
    if not words:
        return Shell(call.shell.system, name).run(call.stdin.text, Stream(), call.root)
    return Output(status=127).err(f"{call.argv[0]}: 0: cannot open {words[0]}: No such file\n")


def _cat(call: Invocation) -> Output:
    files = [f for f in call.argv[1:] if not f.startswith("-") or f == "-"]
    if not files:
        return Output(device=call.stdin.device).out(call.stdin.text)
    result = Output()
    for name in files:
        if name == "-":
            result.out(call.stdin.text)
            continue
        try:
            stream = call.shell.system.read(name, call.root)
        except ShellFileError as error:
            result.err(f"cat: {name}: {error}\n")
            result.status = 1
            continue
        if stream.device:
            result.device = stream.device
        result.out(stream.text)
    return result


def _head(call: Invocation) -> Output:
    count = 10
    args = list(call.argv[1:])
    if len(args) >= 2 and args[0] == "-n" and args[1].isdigit():
        count = int(args[1])
    elif args and re.fullmatch(r"-\d+", args[0]):
        count = int(args[0][1:])
    lines = call.stdin.text.splitlines(keepends=True)[:count]
    return Output().out("".join(lines))


def _sleep(call: Invocation) -> Output:
    return Output()  # a simulated guest has all the time in the world


_BUILTINS: dict[str, Program] = {
    "echo": _echo,
    "true": _status(0),
    ":": _status(0),
    "false": _status(1),
    "sudo": _sudo,
    "sh": _sh,
    "/bin/sh": _sh,
    "bash": _sh,
    "/bin/bash": _sh,
    "cat": _cat,
    "/bin/cat": _cat,
    "/usr/bin/cat": _cat,
    "awk": lambda call: awk(call),
    "/usr/bin/awk": lambda call: awk(call),
    "head": _head,
    "sleep": _sleep,
}


# -- awk: the patterns and prints check scripts use --------------------------------------------------

_AWK_TERM = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\$(\d+)|(NR|NF))')


def awk(call: Invocation) -> Output:
    """`awk PROGRAM [FILE]` for programs like `$0="prefix: "$0`, `/re/`, `{print $2}`, `NR==1 {print}`."""
    if len(call.argv) < 2:
        return Output(status=2).err("usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]\n")
    try:
        rules = _awk_program(call.argv[1])
    except ValueError as error:
        return Output(status=2).err(f"awk: syntax error at source line 1: {error}\n")
    text = call.stdin.text
    if len(call.argv) > 2:
        try:
            text = call.shell.system.read(call.argv[2], call.root).text
        except ShellFileError as error:
            return Output(status=2).err(f'awk: cannot open "{call.argv[2]}" ({error})\n')
    result = Output()
    for number, line in enumerate(text.splitlines(), start=1):
        for rule in rules:
            printed = rule(line, number)
            if printed is not None:
                result.out(printed + "\n")
    return result


AwkRule = Callable[[str, int], str | None]


def _awk_program(source: str) -> list[AwkRule]:
    source = source.strip()
    assignment = re.fullmatch(r"\$0\s*=\s*(.+)", source)
    if assignment:  # `$0="x"$0`: the assignment is the pattern; a non-empty value prints the new line
        expression = _awk_expression(assignment.group(1))

        def assign(line: str, nr: int) -> str | None:
            value = expression(line, nr)
            return value if value else None

        return [assign]
    match = re.fullmatch(r"(/(?P<re>(?:[^/\\]|\\.)*)/|NR\s*==\s*(?P<nr>\d+))?\s*(\{\s*(?P<action>[^}]*)\})?", source)
    if match is None or not source:
        raise ValueError(source)
    pattern_re = re.compile(match.group("re")) if match.group("re") is not None else None
    pattern_nr = int(match.group("nr")) if match.group("nr") else None
    action = (match.group("action") or "print").strip().rstrip(";")
    if not action.startswith("print"):
        raise ValueError(action)
    arguments = [a for a in (part.strip() for part in action[5:].split(",")) if a]
    expressions = [_awk_expression(a) for a in arguments] or [_awk_expression("$0")]

    def rule(line: str, nr: int) -> str | None:
        if pattern_re is not None and not pattern_re.search(line):
            return None
        if pattern_nr is not None and nr != pattern_nr:
            return None
        return " ".join(e(line, nr) for e in expressions)

    return [rule]


def _awk_expression(source: str) -> Callable[[str, int], str]:
    """Concatenation of string literals, fields ($N), NR and NF."""
    terms: list[Callable[[str, int], str]] = []
    position = 0
    source = source.strip()
    while position < len(source):
        match = _AWK_TERM.match(source, position)
        if match is None:
            raise ValueError(source[position:])
        literal, field_number, variable = match.groups()
        if literal is not None:
            terms.append(functools.partial(_literal, _unescape(literal)))
        elif field_number is not None:
            terms.append(functools.partial(_field_term, int(field_number)))
        else:
            terms.append(_record_number if variable == "NR" else _field_count)
        position = match.end()
        while position < len(source) and source[position] == " ":
            position += 1
    return functools.partial(_concatenate, tuple(terms))


def _unescape(literal: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "/": "/"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), literal)


def _literal(text: str, line: str, nr: int) -> str:
    return text


def _field_term(index: int, line: str, nr: int) -> str:
    return line if index == 0 else _field(line, index)


def _record_number(line: str, nr: int) -> str:
    return str(nr)


def _field_count(line: str, nr: int) -> str:
    return str(len(line.split()))


def _concatenate(terms: tuple[Callable[[str, int], str], ...], line: str, nr: int) -> str:
    return "".join(term(line, nr) for term in terms)


def _field(line: str, index: int) -> str:
    fields = line.split()
    return fields[index - 1] if 0 < index <= len(fields) else ""
