"""Property tests: names, env values, commands and secret values full of shell syntax never
escape their quotes on a real host (over SSH, through sudo and ``sh -c``)."""

from __future__ import annotations

import json
import os
import re
import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudcore.errors import ConfigurationError
from cloudcore.models import validate_name
from cloudcore_baremetal._runfiles import ENV_FILE, env_file, run_script

pytestmark = pytest.mark.needs_root

CANARY = f"/tmp/cloudcore-canary-{secrets.token_hex(4)}"
NASTY = [
    "$(touch {c})",
    "`touch {c}`",
    "; touch {c}",
    "' ; touch {c} ; '",
    '" ; touch {c} ; "',
    "&& touch {c}",
    "| touch {c}",
    "\ntouch {c}\n",
    "$HOME",
    "${{PATH}}",
    "%(program_name)s",
    "%i",
    "\\",
    "*",
    "~",
    "# x",
    "'\"'\"'",
    "$((1+1))",
    "<(touch {c})",
    ">{c}",
]
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
PAYLOAD = st.one_of(
    TEXT,
    st.sampled_from(NASTY).map(lambda s: s.format(c=CANARY)),
    st.lists(
        st.one_of(TEXT, st.sampled_from(NASTY).map(lambda s: s.format(c=CANARY))), max_size=3
    ).map("".join),
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DUMP = (
    "import json, os, sys\n"
    "print(json.dumps({'argv': sys.argv[1:], "
    "'env': {k: v for k, v in os.environ.items() if k.startswith('V_')}}))"
)


@pytest.fixture(autouse=True)
def _no_canary():
    yield
    assert not os.path.exists(CANARY), "a payload escaped its quotes and ran a command"


@SETTINGS
@given(args=st.lists(PAYLOAD, min_size=1, max_size=5))
def test_command_arguments_round_trip_over_ssh_and_sudo(bm, args):
    t = bm.inventory.hosts[0].transport
    out = t.run(["printf", "%s\\0", *args], mutating=False).stdout
    assert out.decode().split("\0")[:-1] == args
    assert not os.path.exists(CANARY)


@SETTINGS
@given(
    env=st.dictionaries(st.from_regex(r"V_[A-Z0-9_]{0,8}", fullmatch=True), PAYLOAD, max_size=4),
    args=st.lists(PAYLOAD, max_size=4),
)
def test_env_values_and_commands_round_trip_through_the_deployed_files(bm, env, args):
    host = bm.inventory.hosts[0]
    t = host.transport
    workdir = host.path("services", "injection")
    t.run(["mkdir", "-p", "-m", "700", workdir], mutating=True)
    t.write_file(f"{workdir}/{ENV_FILE}", env_file(env))
    script = run_script(workdir=workdir, argv=["/usr/bin/python3", "-c", DUMP, *args], port=8000)
    t.write_file(f"{workdir}/run.sh", script, mode="700")
    got = json.loads(t.run(["/bin/sh", f"{workdir}/run.sh", "0"], mutating=False).text)
    assert got == {"argv": args, "env": env}
    assert not os.path.exists(CANARY)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=PAYLOAD.filter(bool))
def test_secret_values_round_trip(bm, value):
    version = bm.store_secret("inject/value", value)
    assert bm.get_secret("inject/value", version).get_secret_value() == value
    assert not os.path.exists(CANARY)


@settings(max_examples=200, deadline=None)
@given(name=st.one_of(TEXT, st.sampled_from(NASTY)))
def test_service_names_cannot_carry_shell_syntax(name):
    if re.fullmatch(r"[a-z][a-z0-9-]{0,62}", name) and not name.endswith("-"):
        assert validate_name(name) == name
    else:
        with pytest.raises(ConfigurationError):
            validate_name(name)


def test_cleanup(bm):
    bm.delete_secret("inject/value")
    host = bm.inventory.hosts[0]
    host.transport.run(["rm", "-rf", host.path("services", "injection")], mutating=True)
    assert "inject/value" not in bm.list_secrets()
