"""The command line's conventions (issue 18): --output formats, literal table text, exit codes,
help with examples on every command, ``--`` for a command, "did you mean", shell completion.

Most tests call :func:`cloudcore.cli.main` in-process on the memory driver (state in a file under
``tmp_path``); the ones about what a fresh process imports or how a shell completes run a real
subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from cloudcore.cli import build_parser, main
from cloudcore.cli._help import commands
from cloudcore.cli._output import cell, dump_yaml, render_table
from cloudcore.cli.compute import service_config

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOUDCORE_PROVIDER", "memory")
    monkeypatch.delenv("CLOUDCORE_PROFILE", raising=False)
    monkeypatch.delenv("CLOUDCORE_OUTPUT", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_every_output_format_carries_the_same_data(cli: Run) -> None:
    assert cli("dns", "set", "example.com", "TXT", "v=[spf1] -all", "--json")[0] == 0
    assert cli("dns", "point", "www.example.com", "192.0.2.10")[0] == 0
    code, out, _ = cli("dns", "list", "example.com", "--output", "json")
    assert code == 0
    as_json = json.loads(out)
    assert yaml.safe_load(cli("dns", "list", "example.com", "--output", "yaml")[1]) == as_json
    assert json.loads(cli("dns", "list", "example.com", "--json")[1]) == as_json
    text = cli("dns", "list", "example.com", "--output", "text")[1].splitlines()
    assert sorted(line.split("\t")[:2] for line in text) == sorted(
        [r["name"], r["type"]] for r in as_json
    )
    table = cli("dns", "list", "example.com")[1]
    assert table.splitlines()[0].split() == ["NAME", "TYPE", "VALUES", "TTL", "PROXIED"]
    # Square brackets are user text, not markup: shown as given (rich once ate "[spf1]").
    assert "v=[spf1] -all" in table


def test_output_format_from_the_environment(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("secrets", "set", "--from-file", __file__, "k1")
    monkeypatch.setenv("CLOUDCORE_OUTPUT", "json")
    assert json.loads(cli("secrets", "list")[1]) == ["k1"]


def test_a_masked_secret_has_no_value_field_in_json(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "v").write_text("hunter2")
    assert cli("secrets", "set", "db-pass", "--from-file", str(tmp_path / "v"))[0] == 0
    code, out, _ = cli("secrets", "get", "db-pass", "--json")
    assert code == 0
    body = json.loads(out)
    assert "value" not in body
    assert body["revealed"] is False
    assert "hunter2" not in out
    revealed = json.loads(cli("secrets", "get", "db-pass", "--reveal", "--output", "json")[1])
    assert revealed == {"key": "db-pass", "value": "hunter2"}


def test_table_cells_are_literal_unwrapped_and_inert() -> None:
    assert cell(True) == "yes"
    assert cell(False) == "no"
    assert cell(True, tsv=True) == "true"
    assert cell("[bold]x[/bold]") == "[bold]x[/bold]"
    assert cell("\x1b]0;owned\x07evil\nline") == "\\x1b]0;owned\\x07evil\\nline"
    assert cell(["a", "b"]) == "a, b"
    long_id = "arn:aws:ecs:eu-west-1:123456789012:service/cluster-with-a-long-name/api-" + "x" * 80
    lines = render_table([{"id": long_id, "state": "running"}], ["id", "state"]).splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(long_id)
    assert lines[0].split() == ["ID", "STATE"]


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, None, True], "b": {"c": "yes", "d": "", "e": "x: y", "f": "#no"}},
        [{"k": "v", "n": [{"deep": "1"}]}, [], {}, "plain/text-1.0"],
        {"s": "line\nbreak", "u": "ünïcode", "q": "'\"", "n": "007", "t": "true"},
    ],
)
def test_yaml_output_reads_back_as_the_same_data(value: object) -> None:
    assert yaml.safe_load(dump_yaml(value)) == value


def test_command_after_double_dash(tmp_path: Path) -> None:
    parser = build_parser()
    args = parser.parse_args(["deploy", "web", "--port", "8000"])
    args.trailing = ["python3", "-m", "http.server", "8000"]
    config = service_config(args)
    assert list(config.command) == ["python3", "-m", "http.server", "8000"]
    both = parser.parse_args(["deploy", "web", "--command", "true"])
    both.trailing = ["python3"]
    with pytest.raises(Exception, match="not both"):
        service_config(both)


def test_double_dash_elsewhere_is_a_usage_error(cli: Run) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("services", "--", "x")
    assert exc.value.code == 2


def test_deploy_through_the_cli_with_double_dash(cli: Run) -> None:
    code, out, err = cli("deploy", "web", "--port", "8000", "--json", "--", "python3", "-m", "x")
    assert code == 0, err
    assert json.loads(out)["name"] == "web"


def test_autoscale_without_replicas_starts_at_the_lower_bound() -> None:
    args = build_parser().parse_args(["deploy", "api", "--image", "nginx", "--autoscale", "2:6:70"])
    config = service_config(args)
    assert config.replicas == 2
    assert config.autoscaling is not None
    assert config.autoscaling.max_replicas == 6


def test_typo_in_driver_name_suggests_the_right_one(cli: Run) -> None:
    code, _, err = cli("-p", "memroy", "services")
    assert code == 5
    assert "did you mean --provider memory?" in err
    code, _, err = cli("-p", "memroy", "services", "--json")
    assert json.loads(err)["error"]["exit_code"] == 5


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("status", "nope"), 4),
        (("secrets", "get", "nope"), 4),
        (("-p", "nosuchdriver", "services"), 5),
        (("deploy", "api", "--autoscale", "1:2"), 2),
    ],
)
def test_exit_codes(cli: Run, argv: tuple[str, ...], code: int) -> None:
    assert cli(*argv)[0] == code


def test_unknown_option_is_exit_2(cli: Run) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("services", "--no-such-option")
    assert exc.value.code == 2


def test_every_command_has_a_description_examples_and_argument_help() -> None:
    parser = build_parser()
    assert "exit codes:" in (parser.epilog or "")
    seen = 0
    for path, sub, _ in commands(parser):
        seen += 1
        name = " ".join(path)
        assert sub.description, f"{name}: no description"
        assert "``" not in sub.description, f"{name}: raw reST markup in its help"
        assert sub.epilog and "cloudcore" in sub.epilog, f"{name}: no examples"
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"{name}: {action.option_strings or action.dest} has no help"
        sub.format_help()  # every help text formats (a stray % would raise)
    assert seen > 40


def test_bash_completion_completes_commands_options_and_drivers(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    code = main_output(["completion", "bash"])
    script = tmp_path / "cloudcore.bash"
    script.write_text(code)

    def complete(*words: str) -> list[str]:
        quoted = " ".join(f"'{w}'" for w in words)
        out = subprocess.run(
            [
                bash,
                "-c",
                f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
                '_cloudcore; printf "%s\\n" "${COMPREPLY[@]}"',
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.split()

    assert complete("cloudcore", "sec") == ["secrets"]
    assert complete("cloudcore", "secrets", "") == ["set", "get", "list", "versions", "delete"]
    assert "memory" in complete("cloudcore", "-p", "")
    assert complete("cloudcore", "dns", "list", "--out") == ["--output"]
    assert complete("cloudcore", "storage", "ls", "--output", "y") == ["yaml"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_parse(shell: str) -> None:
    script = main_output(["completion", shell])
    assert "secrets" in script
    binary = shutil.which(shell)
    if binary is not None:  # check the syntax where the shell is installed
        subprocess.run([binary, "-n", "-c", script], check=True)


def main_output(argv: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "cloudcore", *argv],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout


LAZY_PROBE = """
import sys
from cloudcore.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {
    'boto3', 'botocore', 'google', 'cloudflare', 'paramiko', 'pydantic', 'rich', 'mcp', 'pytest'
} or m.startswith(('cloudcore.models', 'cloudcore.provider', 'cloudcore_aws.provider')))
# find_spec('google.cloud.run_v2') (is the gcp driver installed?) imports the two namespace
# packages above it, which hold no code.
heavy = [m for m in heavy if m not in ('google', 'google.cloud')]
print('HEAVY', ','.join(heavy), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("argv", [["--help"], ["drivers"], ["completion", "bash"]])
def test_listing_commands_import_no_driver_sdk_or_models(argv: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "XDG_CACHE_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", LAZY_PROBE, *argv], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    heavy = out.stderr.rsplit("HEAVY", 1)[1].strip()
    assert heavy == "", f"`cloudcore {' '.join(argv)}` imported {heavy}"


def test_long_work_piped_prints_timestamped_steps(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "CLOUDCORE_PROVIDER": "memory",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    argv = [sys.executable, "-m", "cloudcore", "deploy", "api", "--image", "nginx:1.27"]
    out = subprocess.run(
        [*argv, "--replicas", "3"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    stamp = re.compile(r"^\d\d:\d\d:\d\d ")
    assert lines and all(stamp.match(line) for line in lines), lines
    assert lines[0].endswith("deploying api...")
    assert any(line.endswith("memory PutService") for line in lines)
    assert re.search(r"done: deploying api \(\d+\.\d s\)$", lines[-1])
    assert "replicas:" in out.stdout  # the result alone on stdout
    quiet = subprocess.run(
        [*argv, "--replicas", "2", "--json"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert quiet.returncode == 0
    assert quiet.stderr == ""
    assert json.loads(quiet.stdout)["name"] == "api"


def test_python_advice_is_said_the_command_lines_way() -> None:
    from cloudcore.cli._common import for_cli

    assert for_cli("no region: pass region= or set AWS_REGION") == (
        "no region: pass -o region=VALUE (or region in the profile) or set AWS_REGION"
    )
    assert for_cli("compose: connect({'compute': 'local', 'dns': 'cloudflare'})") == (
        'compose: a cloudcore.toml profile with provider = { compute = "local", dns = "cloudflare" }'
    )
