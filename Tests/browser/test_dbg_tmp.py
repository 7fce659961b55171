import time
from selenium.webdriver.common.by import By
def test_dbg(app, gateway):
    a = app.new_terminal()
    select = app.driver.find_element(By.CSS_SELECTOR, "[data-testid=workspace-select]")
    app.js("const s = arguments[0]; s.value = s.options[1].value; s.dispatchEvent(new Event('change'))", select)
    app.driver.find_element(By.CSS_SELECTOR, "[data-testid=workspace-name]").send_keys("projx")
    b = app.new_terminal()
    app.js("document.querySelector(arguments[0] + ' .xterm-helper-textarea').focus()", app.pane_selector(b))
    print("active:", app.js("const e=document.activeElement; return e.tagName + ' ' + e.className + ' ' + (e.closest('.pane')||{dataset:{}}).dataset.sessionId"), "b=", b, "a=", a)
    app.type(b, "pwd\n")
    time.sleep(1)
    print("A:", app.rows(a)); print("B:", app.rows(b))
    print(app.js("return document.querySelector('#workspace-name').value"))
