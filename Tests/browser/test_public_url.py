"""The tunnel's public URL under the session list (ENABLE_TUNNEL), and nothing there without a tunnel.
Both use gateways of their own, so that the shared one's login state is left as other tests expect."""

from browser_support import wait_until


def test_no_tunnel_no_public_url_line(browser, make_gateway):
    browser.login(make_gateway())
    assert not browser.visible("[data-testid=public-url]")


def test_the_tunnels_url_is_a_link_under_the_session_list(browser, make_gateway, tmp_path, console):
    tunneled = make_gateway(extra_env={"ENABLE_TUNNEL": "true",
                                       "TUNNEL_COMMAND": "echo 'your url is: https://fake-ui.example.test'; exec sleep 1000"})
    wait_until(lambda: tunneled.request("GET", "/public-url", bearer=True)[2].get("url"), 10, "the tunnel's URL")
    browser.login(tunneled)
    browser.wait_visible("[data-testid=public-url]")
    assert browser.text("[data-testid=public-url]") == "Public URL: https://fake-ui.example.test"
    assert browser.js("return document.querySelector('#public-url a').href") == "https://fake-ui.example.test/"
    assert browser.js("return document.querySelector('#public-url a').rel") == "noopener noreferrer"
