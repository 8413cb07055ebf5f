"""`make serve` / `make stop`: API with a token, ports, process ids."""

import requests

from devtools.servers import Servers, port_in_use, run_make


def test_with_a_token_the_http_api_is_on_and_protected():
    with Servers(env={"RASA_AUTH_TOKEN": "s3cret-for-tests"}) as servers:
        status = servers.base_url + "/status"
        assert requests.get(status, timeout=10).status_code == 401
        wrong = requests.get(status, params={"token": "nope"}, timeout=10)
        assert wrong.status_code == 401
        right = requests.get(status, params={"token": "s3cret-for-tests"}, timeout=10)
        assert right.status_code == 200
        assert right.json()["model_file"].endswith("acme.tar.gz")


def test_stop_ends_both_servers_and_frees_the_ports(tmp_path):
    servers = Servers(run_dir=tmp_path)
    servers.start()
    try:
        pids = {
            name: int((servers.run_dir / f"{name}.pid").read_text())
            for name in ("rasa", "actions")
        }
        assert port_in_use(servers.rasa_port) and port_in_use(servers.actions_port)
        # A second serve on the same ports refuses and leaves the first alone.
        again = run_make("serve", *servers.make_args)
        assert again.returncode != 0
        assert "already running" in again.stdout + again.stderr
    finally:
        result = servers.stop()
    assert result.returncode == 0, result.stderr
    assert not port_in_use(servers.rasa_port)
    assert not port_in_use(servers.actions_port)
    for name, pid in pids.items():
        assert not (servers.run_dir / f"{name}.pid").exists()
        assert not _alive(pid), name


def test_stop_without_servers_is_harmless(tmp_path):
    result = run_make("stop", f"RUN_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
