#!/usr/bin/env python3
"""A real browser on csf-ui: Debian's chromium (headless) driven by Selenium, as an admin would click through.

usage: ui_browser.py BASE_URL USER PASSWORD VICTIM_IP VICTIM_NS FW_IP PORT ARTIFACT_DIR
Runs in the admin's namespace; after each change it checks from VICTIM_NS (ip netns exec) whether a TCP
connection to FW_IP:PORT gets through. Prints one JSON object; screenshots go to ARTIFACT_DIR.
"""
import json, os, subprocess, sys, time
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

base, user, password, victim, victim_ns, fw_ip, port, artifacts = sys.argv[1:9]
os.makedirs(artifacts, exist_ok=True)
out = {}


def reachable():
    code = ("import socket,sys\ns=socket.socket();s.settimeout(0.7)\n"
            "try:\n s.connect((%r,%s));print('open')\nexcept OSError:\n print('closed')" % (fw_ip, port))
    r = subprocess.run(["ip", "netns", "exec", victim_ns, "python3", "-c", code], capture_output=True, text=True, timeout=10)
    return r.stdout.strip() == "open"


def driver(width, height, mobile=False):
    o = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=%d,%d" % (width, height)]:
        o.add_argument(a)
    if mobile:
        # A desktop window cannot be narrower than 500 px; a phone's viewport is emulated instead.
        o.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 3}})
    o.accept_insecure_certs = True
    o.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def submit(d, button):
    """Clicks a form's button and waits until the next page has replaced this one."""
    page = d.find_element(By.TAG_NAME, "html")
    button.click()

    def replaced(_):
        # Chromium reports a replaced page either as a stale element or as a node that "does not belong to the
        # document" (a race inside its inspector): both mean the next page is there.
        try:
            page.is_enabled()
            return False
        except (StaleElementReferenceException, WebDriverException):
            return True
    WebDriverWait(d, 20).until(replaced)


def shot(d, name):
    d.save_screenshot(os.path.join(artifacts, name + ".png"))


def first_page(d, path, element_id):
    """The browser's first page: under a loaded CI machine Chromium has once shown an error page for it (cause not
    known yet). What it showed is recorded (the test prints it) and the page is loaded again, at most twice."""
    for attempt in range(3):
        d.get(base + path)
        try:
            WebDriverWait(d, 5).until(lambda d: d.find_elements(By.ID, element_id))
            return
        except TimeoutException:
            body = d.find_elements(By.TAG_NAME, "body")
            out.setdefault("first_page_retries", []).append(
                {"url": d.current_url, "title": d.title, "text": body[0].text[:400] if body else ""})
            shot(d, "first-page-failure-%d" % attempt)
            time.sleep(1)
    raise RuntimeError("%s never showed #%s: %s" % (path, element_id, json.dumps(out.get("first_page_retries"))))


def sign_in(d):
    first_page(d, "/login", "user")
    d.find_element(By.ID, "user").send_keys(user)
    d.find_element(By.ID, "password").send_keys(password)
    submit(d, d.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def quick(d, action, ip, comment=None, ttl=None, unit=None):
    d.get(base + "/quick")
    section = d.find_element(By.ID, action)
    section.find_element(By.NAME, "ip").send_keys(ip)
    if comment is not None:
        section.find_element(By.NAME, "comment").send_keys(comment)
    if ttl is not None:
        box = section.find_element(By.NAME, "ttl")
        box.clear()
        box.send_keys(str(ttl))
        Select(section.find_element(By.NAME, "unit")).select_by_visible_text(unit)
    submit(d, section.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    return d.find_element(By.ID, "result").text


def setting(d, key):
    d.get(base + "/config?q=" + key)
    return d.find_element(By.CSS_SELECTOR, "input[name=value][aria-label=%s]" % key).get_attribute("value")


def change(d, key, value, confirm_seconds=None):
    d.get(base + "/config?q=" + key)
    box = d.find_element(By.CSS_SELECTOR, "input[name=value][aria-label=%s]" % key)
    box.clear()
    box.send_keys(value)
    submit(d, box.find_element(By.XPATH, "./following-sibling::button"))
    if confirm_seconds is None:
        return d
    seconds = d.find_element(By.NAME, "confirm")
    seconds.clear()
    seconds.send_keys(str(confirm_seconds))
    submit(d, seconds.find_element(By.XPATH, "ancestor::form").find_element(By.CSS_SELECTOR, "button[type=submit]"))
    return d


d = driver(1280, 900)
try:
    sign_in(d)
    out["after_login"] = d.current_url
    out["dashboard_firewall"] = d.find_element(By.ID, "status").text
    shot(d, "dashboard")
    out["reachable_before"] = reachable()

    out["deny_result"] = quick(d, "deny", victim, comment="seen in the browser test")
    shot(d, "quick-deny")
    out["reachable_after_deny"] = reachable()
    d.get(base + "/")
    out["dashboard_rules"] = d.find_element(By.ID, "rules").text
    out["dashboard_lfd"] = d.find_element(By.XPATH, "//h2[text()='lfd']/following-sibling::pre[1]").text
    out["unblock_result"] = quick(d, "unblock", victim)
    out["reachable_after_unblock"] = reachable()

    out["tempdeny_result"] = quick(d, "tempdeny", victim, comment="two hours", ttl=2, unit="hours")
    out["reachable_after_tempdeny"] = reachable()
    d.get(base + "/temp")
    out["temp_table"] = d.find_element(By.ID, "temporary").text
    shot(d, "temporary")
    row = d.find_element(By.XPATH, "//table[@id='temporary']//tr[td[text()='%s']]" % victim)
    submit(d, row.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    out["temp_after_remove"] = d.find_element(By.TAG_NAME, "main").text
    out["reachable_after_temp_remove"] = reachable()

    out["setting_before"] = setting(d, "DENY_IP_LIMIT")
    change(d, "DENY_IP_LIMIT", "lots")
    out["bad_value_errors"] = d.find_element(By.ID, "errors").text
    out["bad_value_apply_offered"] = len(d.find_elements(By.NAME, "confirm")) > 0
    shot(d, "config-refused")
    change(d, "DENY_IP_LIMIT", "300", confirm_seconds=10)
    out["applied"] = d.find_element(By.ID, "result").text
    out["pending"] = d.find_element(By.ID, "pending").text
    out["setting_while_pending"] = setting(d, "DENY_IP_LIMIT")
    shot(d, "config-pending")
    time.sleep(14)
    out["setting_after_rollback"] = setting(d, "DENY_IP_LIMIT")
    out["pending_after_rollback"] = len(d.find_elements(By.ID, "pending"))

    change(d, "DENY_IP_LIMIT", "250", confirm_seconds=60)
    submit(d, d.find_element(By.ID, "pending").find_element(By.CSS_SELECTOR, "button[type=submit]"))
    out["confirmed"] = d.find_element(By.ID, "result").text
    time.sleep(1)
    out["setting_after_confirm"] = setting(d, "DENY_IP_LIMIT")

    d.get(base + "/log")
    out["log_refresh"] = d.find_element(By.CSS_SELECTOR, "meta[http-equiv=refresh]").get_attribute("content")
    submit(d, d.find_element(By.LINK_TEXT, "Pause"))
    out["log_paused_refreshes"] = len(d.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]"))
    out["log_lines"] = d.find_element(By.CSS_SELECTOR, "pre.output").text
    out["console_errors"] = [e["message"] for e in d.get_log("browser") if e.get("level") == "SEVERE"] if hasattr(d, "get_log") else []
finally:
    d.quit()

# csf's mobile quick page at a phone's width.
m = driver(390, 844, mobile=True)
try:
    sign_in(m)
    m.get(base + "/quick")
    out["mobile_scroll_width"] = m.execute_script("return document.documentElement.scrollWidth")
    out["mobile_inner_width"] = m.execute_script("return window.innerWidth")
    out["mobile_sections"] = [s.get_attribute("id") for s in m.find_elements(By.CSS_SELECTOR, "section")]
    shot(m, "mobile-quick")
    out["mobile_search"] = quick(m, "search", victim)
    shot(m, "mobile-search")
finally:
    m.quit()
print(json.dumps(out))
