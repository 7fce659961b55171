# Runs the Autobahn|Testsuite fuzzing client (Python 2 only) against a WebSocket echo URL.
# usage: python2 fuzzingclient.py SITE_PACKAGES URL OUTDIR
import json, os, site, sys

site.addsitedir(sys.argv[1])  # processes the zope namespace .pth files
url, outdir = sys.argv[2], sys.argv[3]
spec = {
    "outdir": outdir,
    "servers": [{"agent": "dispatch", "url": url}],
    "cases": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "10.*"],
    "exclude-cases": ["9.*", "12.*", "13.*"],
}
spec_path = os.path.join(outdir, "fuzzingclient.json")
if not os.path.isdir(outdir):
    os.makedirs(outdir)
with open(spec_path, "w") as f:
    json.dump(spec, f)
from autobahntestsuite import wstest
sys.argv = ["wstest", "-m", "fuzzingclient", "-s", spec_path]
wstest.run()
