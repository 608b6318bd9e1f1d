"""The guest's small shell: quoting, pipes, lists, redirections, sudo, sh -c, awk; and its error messages."""

from __future__ import annotations

import pytest

from scs_toolkit.simcloud._shell import BASH, Invocation, Output, Program, Shell, ShellFileError, Stream


class FakeSystem:
    """Two files, the random device, and a program that reports what it read on stderr."""

    def read(self, path: str, root: bool) -> Stream:
        if path == "/etc/motd":
            return Stream("one\ntwo words\nthree\n")
        if path == "/proc/value":
            return Stream("256\n")
        if path == "/dev/random":
            return Stream(device="random")
        if path == "/root/secret" and root:
            return Stream("s3cret\n")
        raise ShellFileError("No such file or directory")

    def program(self, name: str) -> Program | None:
        def report(call: Invocation) -> Output:
            source = call.stdin.device or repr(call.stdin.text)
            return Output(status=3).out(f"stdout of {call.argv[0]}\n").err(f"read {source}\n")

        return report if name.rsplit("/", 1)[-1] == "report" else None


@pytest.fixture
def sh() -> Shell:
    return Shell(FakeSystem(), "/bin/sh")


@pytest.fixture
def bash() -> Shell:
    return Shell(FakeSystem(), BASH)


@pytest.mark.parametrize(
    ("line", "stdout"),
    [
        ('echo \'single  quoted\' "double \\"q\\"" plain\\ word', 'single  quoted double "q" plain word\n'),
        ("cat /proc/value | awk '$0=\"_scs-test-entropy-avail: \"$0'", "_scs-test-entropy-avail: 256\n"),
        ("cat /etc/motd | awk '{print $2}'", "\nwords\n\n"),
        ("cat /etc/motd | awk '/two/'", "two words\n"),
        ("cat /etc/motd | awk 'NR==3 {print NR \": \" $0}'", "3: three\n"),
        ("cat /etc/motd | head -n 1", "one\n"),
        ("awk '{print}' /etc/motd | head -1", "one\n"),
        ("true && echo yes || echo no", "yes\n"),
        ("false && echo yes || echo no", "no\n"),
        ("false; echo after", "after\n"),
        ("echo a\necho b  # a comment", "a\nb\n"),
        ("echo -n no-newline", "no-newline"),
        ("sudo cat /root/secret", "s3cret\n"),
        ("sudo -u root /bin/sh -c 'cat /etc/motd | head -n 2 | awk \"/two/\"'", "two words\n"),
        ("echo hidden > /dev/null; echo shown", "shown\n"),
    ],
)
def test_command_lines(sh: Shell, line: str, stdout: str) -> None:
    output = sh.run(line)
    assert (output.stdout, output.stderr) == (stdout, "")


def test_stderr_and_its_redirections(sh: Shell) -> None:
    plain = sh.run("cat /dev/random | report")
    assert (plain.stdout, plain.stderr, plain.status) == ("stdout of report\n", "read random\n", 3)
    merged = sh.run("cat /dev/random | report 2>&1 | awk '$0=\"p: \"$0'")
    assert (merged.stdout, merged.stderr, merged.status) == ("p: stdout of report\np: read random\n", "", 0)
    silenced = sh.run("report 2>/dev/null")
    assert (silenced.stdout, silenced.stderr) == ("stdout of report\n", "")
    swapped = sh.run("report >&2")
    assert (swapped.stdout, swapped.stderr) == ("", "stdout of report\nread ''\n")
    both = sh.run("report &> /dev/null")
    assert (both.stdout, both.stderr, both.status) == ("", "", 3)
    fed = sh.run("report < /etc/motd")
    assert fed.stderr == "read 'one\\ntwo words\\nthree\\n'\n"
    order = sh.run("echo first; report; echo last")
    assert order.combined == "first\nstdout of report\nread ''\nlast\n"  # in the order it was written


def test_errors_read_like_dash_and_bash(sh: Shell, bash: Shell) -> None:
    assert sh.run("echo ok\nfrobnicate --now").stderr == "/bin/sh: 2: frobnicate: not found\n"
    assert sh.run("frobnicate").status == 127
    assert bash.run("frobnicate").stderr == "bash: frobnicate: command not found\n"
    missing = sh.run("report < /dev/nothing")
    assert (missing.stderr, missing.status) == ("/bin/sh: 1: cannot open /dev/nothing: No such file\n", 2)
    assert bash.run("report < /dev/nothing").stderr == "bash: /dev/nothing: No such file or directory\n"
    nested = sh.run("sudo /bin/sh -c 'report < /dev/hwrng' 2>&1 | awk '$0=\"v: \"$0'")
    assert nested.stdout == "v: /bin/sh: 1: cannot open /dev/hwrng: No such file\n"
    cat = sh.run("cat /etc/nothing")
    assert (cat.stderr, cat.status) == ("cat: /etc/nothing: No such file or directory\n", 1)
    assert sh.run("cat /root/secret").status == 1  # only root may read it
    assert sh.run("sudo frobnicate").stderr == "sudo: frobnicate: command not found\n"


@pytest.mark.parametrize(
    "line", ["echo 'open", 'echo "open', "| echo", "echo &&", "echo >", "cat /etc/motd | awk '{frob}'"]
)
def test_malformed_lines_fail_without_running(sh: Shell, line: str) -> None:
    output = sh.run(line)
    assert output.status == 2 and output.stdout == "" and output.stderr
