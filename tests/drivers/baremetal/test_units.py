"""Pure pieces of the driver (no host needed): quoting, spreading, rates, rule rendering."""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest

from cloudcore.errors import ConfigurationError
from cloudcore.models import DatabaseConfig, IPRule, RateLimitRule
from cloudcore_baremetal._runfiles import env_file, run_script
from cloudcore_baremetal._shell import AND, SEQ, command, script, to_file
from cloudcore_baremetal.compute import spread
from cloudcore_baremetal.provider import BaremetalProvider, check_state_dir
from cloudcore_baremetal.waf import nft_rate, render


def test_commands_are_quoted_argument_lists():
    assert command(["echo", "a b", "$(x)"]) == "echo 'a b' '$(x)'"
    assert script(["umask", "077"], SEQ, ["cat"], to_file("/tmp/a b"), AND, ["true"]) == (
        "umask 077 ; cat > '/tmp/a b' && true"
    )
    with pytest.raises(TypeError):
        command("rm -rf /")  # a string is never accepted as a command


def test_spread_is_even_and_front_loaded():
    assert spread(3, 2) == [2, 1]
    assert spread(4, 3) == [2, 1, 1]
    assert spread(0, 2) == [0, 0]
    assert sum(spread(1000, 7)) == 1000


def test_nft_rates():
    assert nft_rate(5, 1) == "5/second"
    assert nft_rate(100, 60) == "100/minute"
    assert nft_rate(120, 60) == "2/second"
    assert nft_rate(7, 3600) == "7/hour"


def test_render_filters_only_service_ports_and_replaces_the_table():
    text = render(
        {
            "web": {
                "ports": [8000, 8001],
                "rules": [
                    IPRule(name="deny", cidrs=["10.0.0.0/8", "2001:db8::/32"]).model_dump(),
                    RateLimitRule(name="rl", requests=5, period_seconds=1).model_dump(),
                ],
            }
        }
    )
    assert text.startswith("table inet cloudcore {}\ndelete table inet cloudcore\n")
    assert "tcp dport { 8000, 8001 } ip saddr @t0r0_4 drop" in text
    assert "ip6 saddr @t0r0_6 drop" in text
    assert "limit rate over 5/second burst 5 packets" in text
    assert "dport 22" not in text
    assert render({}) == "table inet cloudcore {}\ndelete table inet cloudcore\n"


def test_env_file_is_json_and_run_script_parses_as_shell():
    env = env_file({"A": "x'y", "B": "$(id)\nz"})
    assert json.loads(env) == {"A": "x'y", "B": "$(id)\nz"}
    out = subprocess.run(["sh", "-n", "-c", run_script(workdir="/w", argv=["a"], port=1).decode()])
    assert out.returncode == 0
    with pytest.raises(ValueError, match="invalid variable name"):
        env_file({"A-B": "x"})
    last = shlex.split(run_script(workdir="/w", argv=["p", "q r"]).decode().split("\nexec ")[1])
    assert last[-4:] == ["-", "--", "p", "q r"]


def test_options_are_validated_before_any_connection():
    with pytest.raises(ConfigurationError, match="state_dir"):
        check_state_dir("relative/path")
    with pytest.raises(ConfigurationError, match="state_dir"):
        check_state_dir("/var/lib/a b")
    with pytest.raises(ConfigurationError, match="hosts"):
        BaremetalProvider(hosts=[])
    with pytest.raises(ConfigurationError, match="unknown keys"):
        BaremetalProvider(hosts=[{"address": "10.0.0.1", "passwd": "x"}])
    with pytest.raises(ConfigurationError, match="roles"):
        BaremetalProvider(hosts=[{"address": "10.0.0.1", "roles": ["web"]}])
    app_only = BaremetalProvider(hosts=[{"address": "10.0.0.1", "roles": ["app"]}])
    with pytest.raises(ConfigurationError, match="no host has the role 'db'"):
        app_only.provision_database(DatabaseConfig(name="orders"))


def test_a_stamped_run_sh_exits_with_the_commands_own_status(tmp_path):
    """supervisord records run.sh's exit status: it must be the command's, not the status of
    the loop that time-stamps the output (always 0)."""
    import re
    import subprocess
    import sys

    from cloudcore_baremetal._runfiles import ENV_FILE, env_file, run_script

    (tmp_path / ENV_FILE).write_bytes(env_file({"GREETING": "hi"}))
    script = run_script(
        workdir=str(tmp_path),
        argv=["sh", "-c", 'echo "$GREETING"; echo oops >&2; exit 7'],
        stamp=True,
        python=sys.executable,
    )
    (tmp_path / "run.sh").write_bytes(script)
    out = subprocess.run(["sh", str(tmp_path / "run.sh"), "0"], capture_output=True, text=True)
    assert out.returncode == 7, out
    lines = out.stdout.splitlines()
    assert [re.sub(r"^\S+ ", "", ln) for ln in lines] == ["hi", "oops"], lines
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z ", ln) for ln in lines), lines
