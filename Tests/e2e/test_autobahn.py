"""RFC 6455 conformance with the Autobahn|Testsuite fuzzing client (cases 1-7 and 10), an independent
peer. It is Python 2 only: skipped with a message where no Python 2.7 is installed."""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, ".build", "ab27")


def find_python2():
    """pyenv's shims answer for versions that are not selected, so try real interpreters only."""
    candidates = [os.path.expanduser("~/.pyenv/versions/2.7.18/bin/python"), "/usr/bin/python2.7", shutil.which("python2.7")]
    for candidate in filter(None, candidates):
        if os.path.exists(candidate) and subprocess.run([candidate, "-c", "import sys; assert sys.version_info[0] == 2"],
                                                        capture_output=True).returncode == 0:
            return candidate
    return None


PYTHON2 = find_python2()


def python2_available():
    return PYTHON2 is not None


@pytest.mark.skipif(not python2_available(), reason="Autobahn|Testsuite needs Python 2.7, which is not installed here")
def test_autobahn_fuzzingclient_cases_pass(tmp_path):
    if not os.path.isdir(os.path.join(SITE, "autobahntestsuite")):
        subprocess.run([PYTHON2, "-m", "pip", "install", "-q", "--target", SITE, "autobahntestsuite==25.10.1"], check=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DISPATCH_HOME": str(tmp_path / "home"), "PORT": str(port),
           "TERMINAL_KEY": "autobahn-test-key-0123456789", "DISPATCH_TEST_ECHO": "1"}
    log = open(tmp_path / "gateway.log", "w")
    gateway = subprocess.Popen([os.path.join(ROOT, ".build", "debug", "dispatch-gateway")], env=env, stderr=log)
    try:
        deadline = time.time() + 10
        while True:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=1)
                break
            except OSError:
                assert time.time() < deadline, "gateway did not start"
                time.sleep(0.05)
        reports = tmp_path / "reports"
        subprocess.run([PYTHON2, os.path.join(ROOT, "Tests", "autobahn", "fuzzingclient.py"), SITE,
                        "ws://127.0.0.1:%d/ws-echo" % port, str(reports)], check=True, timeout=600,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        index = json.load(open(reports / "index.json"))["dispatch"]
        failures = {case: (r["behavior"], r["behaviorClose"]) for case, r in index.items()
                    if r["behavior"] not in ("OK", "NON-STRICT", "INFORMATIONAL") or r["behaviorClose"] not in ("OK", "INFORMATIONAL")}
        assert len(index) > 200
        assert failures == {}
        urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=2)
    finally:
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=10) == 0
