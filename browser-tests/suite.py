#!/usr/bin/env python3
"""Safeguard's pages in a real browser: headless Chromium driven by Selenium, with axe-core on every page.

Starts the built `safeguard serve --demo` on 127.0.0.1 with a fresh SQLite database, then drives journeys as a
person would. Every page visited is checked with a current axe-core (from the axe-playwright-python wheel, injected
by WebDriver: the pages' one script, Escape twice and the character count, is off too but for two steps), and the suite fails on any serious or critical
violation. Screenshots go to artifacts/browser/.

Usage: python3 browser-tests/suite.py [--binary .build/debug/safeguard] [--artifacts artifacts/browser]
"""
import argparse
import base64
import hashlib
import hmac
import json
import struct
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request
from importlib import resources

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import Select
from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "safeguard-demo-2026"


def demo(prefix, org):
    return f"{prefix}@{org}.demo.safeguard.invalid"


OFFICER = demo("officer", "england-police")
ADMIN = demo("admin", "england-police")
SUPERVISOR = demo("supervisor", "england-police")
SCOTLAND_OFFICER = demo("officer", "scotland-police")
STAFF = demo("staff", "wales-school")
MAX_OFFICER_SUBMISSIONS = 10
DSL = demo("dsl", "wales-school")


class Failure(Exception):
    pass


def totp(key, at=None):
    """The six-digit code an authenticator app shows for a base32 key (RFC 6238: HMAC-SHA1, 30-second steps), and
    the step it belongs to."""
    secret = base64.b32decode(key.replace(" ", "").upper() + "=" * (-len(key.replace(" ", "")) % 8))
    step = int((time.time() if at is None else at) // 30)
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}", step


# The step-up lifetime the suite's server runs with (SAFEGUARD_STEP_UP_SECONDS): short, so a journey can see a
# code go stale without waiting the usual 15 minutes.
STEP_UP_SECONDS = 30


def page_replaced(old):
    """Whether the page holding `old` has been replaced. Selenium's staleness_of expects a stale-element error;
    Chromium's driver (156) may instead say the node "does not belong to the document", which means the same."""
    def predicate(driver):
        try:
            old.is_enabled()
            return False
        except WebDriverException as error:
            if flaky(error):
                return True
            raise
    return predicate


def flaky(error):
    """Chromium's driver sometimes loses a node it has just found ("does not belong to the document") or finds a
    stale one: the page is fine, and doing the same again works."""
    text = str(error).lower()
    return "does not belong to the document" in text or "stale element" in text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def axe_source():
    """The newest axe-core we can install from PyPI: the copy inside axe-playwright-python's wheel."""
    source = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    match = re.search(r"axe v([0-9][0-9A-Za-z.\-]*)", source[:200])
    return source, (match.group(1) if match else "unknown")


# Raw identifiers (issue 11): what a person reads is in words, never a code. The shapes looked for in the text of
# every page view, in this order (a match is blanked before the next shape looks, so a timestamp is one finding).
RAW_IDENTIFIERS = [
    ("ISO timestamp", re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")),
    ("UUID", re.compile(r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b")),
    ("ISO date", re.compile(r"\b\d{4}-\d{2}-\d{2}\b")),
    ("ISO time", re.compile(r"\b\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?(?![\w:])|(?<![\w:])\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})(?![\w:])")),
    # poca1978s1, cjca2015s33, soa2003, sosa2009s24s34, pace32, outcome21: lower-case letters run into digits; and
    # poc-ni-1978a3, so-ni-2008: two hyphened parts and a year (but "under-12s" and "under-18s" are words).
    ("offence or code id", re.compile(r"\b[a-z]{2,}\d{2,}[a-z0-9]*\b|\b[a-z]{2,}(?:-[a-z]{2,})+-\d{4}[a-z0-9]*\b")),
    # notKnownYet, childProtectionReferral, leftWithOwner: an enum case name.
    ("camelCase code", re.compile(r"\b[a-z]+[A-Z][A-Za-z0-9]*\b")),
    # sign_in, imagery_not_allowed: a snake_case code.
    ("snake_case code", re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")),
    # user.create, case.facts.update: a dotted action code (e-mail addresses and links are blanked first, below).
    ("dotted code", re.compile(r"\b[a-z]{2,}(?:\.[a-z][A-Za-z]+)+\b")),
]

# What is not a raw identifier though it looks like one. Each is blanked before the shapes above look.
RAW_IDENTIFIER_EXCEPTIONS = [
    # A case's reference, SG-2026-000001: the number people quote, made to be read.
    re.compile(r"\bSG-\d{4}-\d{6}\b"),
    # E-mail addresses (a user's, the demo accounts'): an address, read as one, whose domain has dots.
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # A link written out in full is an address, not a code; so is a web address written for people to type
    # (www.childline.org.uk, hwb.gov.wales/keeping-safe-online, safeguarding.wales on the information sheet).
    re.compile(r"\bhttps?://\S+"),
    re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:uk|wales|scot|cymru|org|com|net|ie)\b(?:/[\w./-]*)?"),
    # Proper names their owners write with a small first letter: Police Scotland's interim Vulnerable Persons
    # Database, the iVPD, which the Scottish edition names for the concern report.
    re.compile(r"\biVPD\b"),
]

# The page's text as a person meets it: document.title, the body's innerText (rendered text only: no hidden elements,
# scripts or attributes) with every closed <details> opened (a click shows it), and the text of the few attributes
# that are read out (alt, aria-label, title, placeholder), of a list's options, and of the text fields and text areas
# the page fills in (a date field is left out: the browser shows its ISO value as a date in words).
# Left out, on purpose: anything marked data-verbatim, which is a secret to be copied character for character (the
# two-factor key, the recovery codes like k7dm-4hqx-9rtw, a password reset link): a random one can take an
# identifier's shape (abcd-23xy reads as a code id). Any other <code> is read like the rest of the page.
PAGE_TEXT_SCRIPT = """
const skip = '[data-verbatim]';
// Hidden through the CSS object model: the pages' Content-Security-Policy refuses an added <style>.
const skipped = Array.from(document.querySelectorAll(skip));
skipped.forEach(e => e.style.setProperty('display', 'none', 'important'));
const closed = Array.from(document.querySelectorAll('details:not([open])'));
closed.forEach(d => { d.open = true; });
const parts = [{where: 'title', text: document.title}, {where: 'page', text: document.body.innerText}];
try {
  for (const e of document.querySelectorAll('[alt], [aria-label], [title], [placeholder]')) {
    if (e.closest(skip) || e.tagName === 'TITLE') continue;
    for (const a of ['alt', 'aria-label', 'title', 'placeholder']) {
      if (e.hasAttribute(a)) parts.push({where: a + ' of <' + e.tagName.toLowerCase() + '>', text: e.getAttribute(a)});
    }
  }
  for (const e of document.querySelectorAll('option')) {
    if (!e.closest(skip)) parts.push({where: 'option', text: e.text});
  }
  for (const e of document.querySelectorAll('textarea, input[type=text], input:not([type])')) {
    if (!e.closest(skip) && e.value) parts.push({where: 'field ' + (e.id || e.name), text: e.value});
  }
} finally {
  closed.forEach(d => { d.open = false; });
  skipped.forEach(e => e.style.removeProperty('display'));
}
return parts;
"""


def raw_identifiers(text, typed=()):
    """The raw identifiers in `text`: (kind, token, about 60 characters around it). A token inside something the
    suite typed itself is the person's own words and is left alone."""
    original = text  # blanking keeps every position, so the context comes from what the page says
    for exception in RAW_IDENTIFIER_EXCEPTIONS:
        text = exception.sub(lambda m: " " * len(m.group(0)), text)
    found = []
    for kind, shape in RAW_IDENTIFIERS:
        for match in shape.finditer(text):
            token = match.group(0)
            if any(token in words for words in typed):
                continue
            start, end = match.span()
            context = " ".join(original[max(0, start - 30):end + 30].split())
            found.append((kind, token, context))
        text = shape.sub(lambda m: " " * len(m.group(0)), text)
    return found


def page_pattern(path):
    """A page's path with its ids as placeholders, so that findings group by page: /cases/:id/record/meeting."""
    path = re.sub(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", ":id", path)
    return urllib.parse.unquote(re.sub(r"[?#].*", "", path))


class Server:
    def __init__(self, binary, root):
        self.binary = os.path.abspath(binary)
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.mkdtemp(prefix="safeguard-browser-")
        self.log = open(os.path.join(self.tmp, "server.log"), "w")
        self.process = None

    def start(self):
        env = dict(os.environ)
        env["DATABASE_URL"] = "sqlite://" + os.path.join(self.tmp, "safeguard.sqlite")
        env["SAFEGUARD_WEB_ROOT"] = self.root
        env["SAFEGUARD_STEP_UP_SECONDS"] = str(STEP_UP_SECONDS)
        self.process = subprocess.Popen(
            [self.binary, "serve", "--demo", "--hostname", "127.0.0.1", "--port", str(self.port)],
            cwd=self.tmp, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise Failure("the server stopped at start:\n" + open(self.log.name).read()[-3000:])
            try:
                with urllib.request.urlopen(self.base + "/sign-in", timeout=2) as reply:
                    if reply.status == 200:
                        self.read_two_factor_keys()
                        return
            except Exception:
                time.sleep(0.3)
        raise Failure("the server did not answer within 120 s")

    def read_two_factor_keys(self):
        """The demo accounts' two-factor keys, as `serve --demo` prints them for a newcomer."""
        self.log.flush()
        self.keys = {}
        for line in open(self.log.name, encoding="utf-8"):
            found = re.search(r"(\S+@\S+)\s+two-factor key: ([A-Z2-7 ]+)$", line.rstrip())
            if found:
                self.keys[found.group(1)] = found.group(2)
        if SUPERVISOR not in self.keys or DSL not in self.keys:
            raise Failure("serve --demo did not print the two-factor keys of the supervisor and the DSL:\n" + open(self.log.name).read()[-2000:])

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Browser:
    def __init__(self, base, artifacts, axe, chromium, chromedriver):
        self.base = base
        self.artifacts = artifacts
        self.axe, self.axe_version = axe
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for argument in ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
                         "--disable-extensions", "--no-first-run", "--lang=en-GB"]:
            options.add_argument(argument)
        if os.geteuid() == 0:
            options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.driver = webdriver.Chrome(service=Service(chromedriver), options=options)
        # Every journey runs with JavaScript switched off for the pages, as on a locked-down shared computer: the
        # pages must work without it. It is switched on only while axe-core checks a page, then off again.
        self.javascript(False)
        self.driver.set_page_load_timeout(30)
        self.checked = []         # (journey, page title, url)
        self.violations = []      # (journey, title, rule id, impact, help, nodes)
        self.raw = []             # (journey, url path, where, kind, token, context): raw identifiers on a page
        self.typed = []           # everything the suite typed into a field: a person's own words
        self.submissions = 0
        self.journey = ""
        self.keys = {}            # email → two-factor key
        self.last_step = {}       # email → the last step whose code was used (no code works twice)

    def quit(self):
        self.driver.quit()

    def javascript(self, on):
        self.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": not on})

    def expect_javascript_off(self):
        """Proves the pages' JavaScript is off: a page script that would change the title does not run."""
        self.driver.get("data:text/html,<title>off</title><script>document.title='on'</script>")
        if self.driver.title != "off":
            raise Failure("JavaScript is not switched off in the browser, so the suite would not show the pages work without it")
        print("JavaScript: off for the pages (every journey runs without it)")

    # Navigation

    def open(self, path):
        self.driver.get(self.base + path)
        self.check_page()

    def find(self, css):
        return self.retrying(lambda: self.driver.find_element(By.CSS_SELECTOR, css))

    def retrying(self, action):
        """Runs a WebDriver action again when Chromium's driver loses a node it has just found."""
        for attempt in range(5):
            try:
                return action()
            except WebDriverException as error:
                if attempt == 4 or not flaky(error):
                    raise
                time.sleep(0.3 * (attempt + 1))

    def fill(self, field_id, text):
        def act():
            element = self.driver.find_element(By.ID, field_id)
            element.clear()
            element.send_keys(text)
        self.typed.append(text)
        self.retrying(act)

    def unfold(self, field_id):
        """Opens the folded section (`<details>`) holding a field, as a person clicks its summary; an open one stays open."""
        details = self.driver.find_element(By.CSS_SELECTOR, f"details:has(#{field_id})")
        if details.get_attribute("open") is None:
            details.find_element(By.CSS_SELECTOR, "summary").click()

    def choose(self, field_id):
        self.retrying(lambda: self.driver.find_element(By.ID, field_id).click())

    def choose_all(self, value):
        """Chooses the given answer for every question on the page."""
        def act():
            for radio in self.driver.find_elements(By.CSS_SELECTOR, f"input[type=radio][value={value}]"):
                radio.click()
        self.retrying(act)

    def click_and_wait(self, css):
        """Clicks a link or button and waits for the next page to replace this one. Chromium's driver now and then
        loses a node it has just found (after a resize for a screenshot): find it again and retry."""
        for attempt in range(3):
            old = self.driver.find_element(By.TAG_NAME, "html")
            try:
                self.find(css).click()
            except WebDriverException as error:
                if not flaky(error):
                    raise
                time.sleep(0.3)
                continue
            WebDriverWait(self.driver, 30).until(page_replaced(old))
            WebDriverWait(self.driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
            return
        raise Failure(f"could not click {css}")

    def follow(self, css):
        self.click_and_wait(css)
        self.check_page()

    def submit(self, css="main form button[type=submit]"):
        """Submits a form as a person does, counting the page submissions of the journey."""
        self.click_and_wait(css)
        self.submissions += 1
        self.check_page()

    def title(self):
        return self.driver.title

    def h1(self):
        return self.retrying(lambda: self.driver.find_element(By.CSS_SELECTOR, "h1").text)

    def text(self):
        """The page's words as a person reads them once they open what is folded (the case page folds its records,
        chronology and done actions): each closed <details> is opened by clicking its summary, as a person would."""
        def read():
            for summary in self.driver.find_elements(By.CSS_SELECTOR, "main details:not([open]) > summary"):
                summary.click()
            return self.driver.find_element(By.CSS_SELECTOR, "main").text
        return self.retrying(read)

    def expect(self, condition, message):
        if not condition:
            self.screenshot("failure-" + re.sub(r"[^a-z0-9]+", "-", message.lower())[:60])
            raise Failure(f"{self.journey}: {message} (at {self.driver.current_url}, title {self.title()!r})")

    def screenshot(self, name, media=None):
        os.makedirs(self.artifacts, exist_ok=True)
        if media:
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(1000, min(height + 50, 8000)))
        path = os.path.join(self.artifacts, name + ".png")
        self.driver.save_screenshot(path)
        self.driver.set_window_size(1280, 1000)
        # Chromium's driver can lose track of nodes found just after a resize: let the page settle first.
        WebDriverWait(self.driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
        time.sleep(0.2)
        if media:
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        return path

    # Checks on every page

    def check_page(self):
        """axe-core on the page as it is now; serious and critical violations fail the suite."""
        self.javascript(True)
        try:
            self.driver.execute_script(self.axe)
            result = self.driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)))"
                ".catch(e => done(JSON.stringify({error: String(e)})));")
            parts = self.driver.execute_script(PAGE_TEXT_SCRIPT)
        finally:
            self.javascript(False)
        self.check_words(parts)
        violations = json.loads(result)
        if isinstance(violations, dict):
            raise Failure(f"axe-core failed on {self.driver.current_url}: {violations['error']}")
        title = self.title()
        self.checked.append((self.journey, title, self.driver.current_url))
        for v in violations:
            if v.get("impact") in ("serious", "critical"):
                nodes = [n.get("target") for n in v.get("nodes", [])][:5]
                self.violations.append((self.journey, title, v["id"], v["impact"], v["help"], nodes))
        # No script is in our pages but pages.js (Escape twice, the character count), from our own file, and
        # nothing needs it.
        sources = self.driver.execute_script("return Array.from(document.scripts).map(s => s.src ? new URL(s.src).pathname : '(inline)')")
        if any(source != "/assets/pages.js" for source in sources):
            raise Failure(f"{title}: the page has a script other than pages.js: {sources}")

    def check_words(self, parts):
        """No raw identifier on the page (issue 11): no enum case name, offence id, UUID, ISO date or timestamp in what
        a person reads. Findings are kept for the end of the run, as axe-core's violations are."""
        url = self.driver.current_url
        path = url[len(self.base):] if url.startswith(self.base) else url
        for part in parts:
            for kind, token, context in raw_identifiers(part["text"] or "", self.typed):
                self.raw.append((self.journey, path, part["where"], kind, token, context))

    def expect_no_sideways_scroll(self, what):
        """The page is no wider than the window: long unbroken text wraps (issue 11)."""
        wide, window = self.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        self.expect(wide <= window, f"{what} fits the window ({wide}px wide in a {window}px window)")

    # Sign in and out

    def sign_in(self, email, password=PASSWORD):
        self.open("/sign-in")
        self.expect(self.h1() == "Sign in", "the sign-in page has its heading")
        self.fill("email", email)
        self.fill("password", password)
        self.submit()
        if self.h1() == "Enter your code":
            self.expect(email in self.keys, f"{email} needs a code and the suite knows its key")
            self.enter_code(email)
        self.expect(self.h1() == "Home", f"{email} reaches the home page after signing in")

    def code_for(self, email):
        """The code the person's app shows now, waiting for the next one if this one was used (codes work once)."""
        code, step = totp(self.keys[email])
        if step <= self.last_step.get(email, -1):
            time.sleep(30 - time.time() % 30 + 0.5)
            code, step = totp(self.keys[email])
        self.last_step[email] = step
        return code

    def enter_code(self, email):
        self.fill("code", self.code_for(email))
        self.submit()

    def sign_out(self):
        self.click_and_wait("header form button")
        self.expect(self.h1() == "Sign in", "signing out returns to the sign-in page")

    def follow_link(self, text):
        """Follows the link in the page's main content whose text starts with `text`."""
        links = self.retrying(lambda: [a for a in self.driver.find_elements(By.CSS_SELECTOR, "main a") if a.text.strip().startswith(text)])
        self.expect(links, f"the page has a link '{text}'")
        href = links[0].get_attribute("href")
        self.open(href[len(self.base):])

    def choose_label(self, text):
        """Chooses the radio or checkbox whose label contains `text`."""
        self.retrying(lambda: self.driver.find_element(By.XPATH, f"//main//label[contains(normalize-space(.), {json.dumps(text)})]").click())

    def another_person(self):
        """Keeps this person's session aside so that someone else can use the browser, as on a second computer."""
        cookies = self.driver.get_cookies()
        self.driver.delete_all_cookies()
        return cookies

    def back_to(self, cookies):
        self.driver.delete_all_cookies()
        for cookie in cookies:
            self.driver.add_cookie({k: v for k, v in cookie.items() if k in ("name", "value", "path", "httpOnly", "secure", "sameSite")})


# Journeys

def journey_sign_in_problems(b):
    """Sign-in problems are shown in an error summary that links to the field."""
    b.journey = "sign-in problems"
    b.open("/sign-in")
    b.submit()
    b.expect(b.title().startswith("Error: "), "the title says there is an error")
    links = b.retrying(lambda: [a.get_attribute("href") for a in b.driver.find_elements(By.CSS_SELECTOR, ".error-summary a")])
    b.expect(any(link.endswith("#email") for link in links), "the error summary links to the email field")
    b.retrying(lambda: b.driver.find_element(By.CSS_SELECTOR, ".error-summary a").click())
    b.expect(b.driver.switch_to.active_element.get_attribute("id") == "email", "the link moves focus to the field")
    b.fill("email", OFFICER)
    b.fill("password", "not the password")
    b.submit()
    b.expect("The email address or password is not right" in b.find(".error-summary").text, "a wrong password is explained")
    b.screenshot("sign-in-error")


def journey_a_officer_reports_a_case(b):
    """(a) An officer reports a consensual-peers case with every fact known (crime reference on the first page),
    answers each step, proposes Outcome 21; a supervisor approves it (counted separately); the officer prints the
    family's letter. The officer's page submissions from sign-in to the printed letter are counted, and more than
    MAX_OFFICER_SUBMISSIONS fail the suite. Then: a cited paragraph, and completing an action."""
    b.journey = "(a) officer reports a case"
    b.submissions = 0
    b.sign_in(OFFICER)
    b.follow("main a.button")
    b.expect(b.h1() == "Report a new case", "the new report page opens from home")
    b.fill("summary", "Image shared between two pupils, both 15")
    b.choose("kind-image")
    b.fill("ageA", "15")
    b.fill("ageB", "15")
    b.fill("crimeReference", "EP/26/1234")
    b.submit()
    b.expect(b.h1() == "The young people involved", "the first step of questions follows")
    b.expect("Decisions so far" in b.driver.page_source and "Answer these next" in b.driver.page_source,
             "each step shows the decisions so far and the open questions")
    b.choose_all("no")
    b.submit()
    b.expect(b.h1() == "How it happened", "then how it happened")
    b.choose("c-willing-yes")
    b.choose("c-ageAppropriate-yes")
    b.choose("c-accidental-no")
    b.submit()
    b.expect(b.h1() == "Signs of harm or abuse", "then signs of harm")
    b.choose_all("no")
    b.submit()
    b.expect(b.h1() == "About the imagery", "then the imagery")
    b.choose_all("no")
    b.submit()
    b.expect(b.h1().startswith("Case SG-"), "the case page follows the last step")
    text = b.text()
    b.expect("Proportionate, supportive response" in text, "the route is proportionate")
    b.expect("Can be considered" in text, "Outcome 21 can be considered")
    b.expect("No open questions" in text, "with every fact known there are no open questions")
    b.expect("Crime recorded" in text and "EP/26/1234" in text, "the crime reference of the first page is recorded as a crime")
    print(f"  page submissions from sign-in to the decided case: {b.submissions}")
    case_url = b.driver.current_url
    case_path = case_url[len(b.base):]

    # Propose Outcome 21: the facts are shown in plain words, and the rationale is the officer's own.
    b.follow_link("Propose Outcome 21")
    b.expect(b.h1() == "Propose Outcome 21", "the proposal page opens from the case")
    b.expect(b.find("#rationale").get_attribute("value") == "", "the rationale is not pre-filled")
    b.expect("Known to be so" in b.text(), "the facts are shown beside the rationale")
    b.fill("rationale", "Both 16, willing and age-appropriate, a first incident with nothing to aggravate it.")
    b.submit()
    b.expect("Waiting for a supervisor" in b.text(), "the case shows it is waiting for a supervisor")
    b.expect("Propose Outcome 21" not in b.text(), "it cannot be proposed twice")
    b.screenshot("case-page-waiting-for-supervisor")

    # A supervisor approves it, on another computer: their submissions are counted separately.
    officer_session = b.another_person()
    officer_count = b.submissions
    b.submissions = 0
    b.sign_in(SUPERVISOR)
    b.expect("Approvals waiting for you" in b.text(), "the supervisor's home lists approvals")
    b.follow_link("Review the proposal")
    b.expect(b.h1() == "Review the Outcome 21 proposal", "the review page opens from home")
    b.submit()
    b.expect("Select whether you approve or refuse" in b.find(".error-summary").text, "a decision is asked for")
    b.choose("decision")
    b.fill("reason", "Willing and age-appropriate, first incident, no aggravating features.")
    # Must-do actions still open (a welfare check, the advice not to copy) need a reason to approve before them.
    if b.driver.find_elements(By.ID, "openActionsReason"):
        b.expect("Must-do actions still open" in b.text(), "the review lists the must-do actions still open")
        b.fill("openActionsReason", "The welfare visit is booked for tomorrow; the advice was given at the school.")
    b.submit()
    b.expect("Outcome 21 approved and recorded" in b.text(), "the approval is recorded")
    supervisor_count = b.submissions
    b.sign_out()
    b.back_to(officer_session)
    b.submissions = officer_count

    # The officer prints the letter.
    b.open(case_path)
    text = b.text()
    b.expect("Outcome 21 is approved and recorded" in text, "the officer sees the approval")
    b.expect("Waiting for a supervisor" not in text, "the banner has gone")
    b.screenshot("case-page")
    b.screenshot("case-page-print", media="print")
    b.follow_link("Outcome 21 letter for the family")
    b.choose("to")
    b.fill("name", "Sam Jones")
    b.submit()
    b.expect(b.h1() == "Written record: no further police action", "the letter is shown to print")
    b.expect("Sam Jones" in b.text() and "EP/26/1234" in b.text(), "the letter names the addressee and quotes the crime reference")
    b.expect("Yours sincerely," in b.text(), "the letter carries a signature block")
    b.expect("Record that you gave this letter to the family" in b.text(), "giving the letter is its own step, offered from the letter")
    b.screenshot("outcome21-letter-print", media="print")
    b.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    hidden = b.driver.execute_script(
        "return ['header', 'nav', 'footer', '.no-print'].every(s => !document.querySelector(s) || getComputedStyle(document.querySelector(s)).display === 'none')")
    b.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    b.expect(hidden, "the printed letter has no navigation")
    print(f"  officer's page submissions from sign-in to the printed Outcome 21 letter: {b.submissions} "
          f"(limit {MAX_OFFICER_SUBMISSIONS}); the supervisor's, counted separately: {supervisor_count} "
          f"(sign-in, one empty form on purpose to check the error, the approval)")
    b.expect(b.submissions <= MAX_OFFICER_SUBMISSIONS,
             f"the officer needs at most {MAX_OFFICER_SUBMISSIONS} page submissions, not {b.submissions}")
    b.open(case_path)

    # A citation opens the paragraph's text.
    b.follow("#decisions ~ dl a[href^='/guidance/']")
    b.expect("Safeguard's summary in its own words" in b.text(), "a citation opens the cited paragraph's text")
    b.expect("says under it" in b.text(), "followed from the case, it says what the case's assessment says under it")
    b.expect(b.driver.find_elements(By.CSS_SELECTOR, f"main a[href='{case_path}']"), "and leads back to the case")
    b.driver.back()

    # Complete the first action (a must-do: done by hand only with a note of where and how, and the choice is kept
    # when the note is missing), and refuse a "does not apply" without a reason.
    forms = b.driver.find_elements(By.CSS_SELECTOR, "form.checklist-form")
    b.expect(len(forms) > 1, "the checklist has open actions")
    # Each action's form is folded under "Record this action", so the page is not a long run of forms to tab through.
    summaries = b.driver.find_elements(By.CSS_SELECTOR, "details.checklist-details > summary")
    b.expect(len(summaries) == len(forms) and not forms[0].is_displayed(), "each action's form is folded")
    first = forms[0].find_element(By.CSS_SELECTOR, "input[value=done]").get_attribute("id")
    b.unfold(first)
    b.choose(first)
    b.submit(f"form:has(#{first}) button")
    b.expect("where and how it was done" in b.find(".error-summary").text, "a must-do ticked done asks where and how")
    b.expect(b.driver.find_element(By.ID, first).is_selected(), "and keeps the choice")
    b.fill(first.replace("-done", "-reason"), "Done at the scene by PC 4521")
    b.submit(f"form:has(#{first}) button")
    b.expect(b.driver.current_url.split("#")[0] == case_url, "saving an action returns to the case")
    b.expect("is done." in b.text(), "and says what was saved")
    forms = b.driver.find_elements(By.CSS_SELECTOR, "form.checklist-form")
    na = forms[0].find_element(By.CSS_SELECTOR, "input[value=notApplicable]").get_attribute("id")
    b.unfold(na)
    b.choose(na)
    b.submit(f"form:has(#{na}) button")
    b.expect("Say why the action does not apply" in b.find(".error-summary").text, "a reason is asked for")
    b.screenshot("action-needs-a-reason")
    b.sign_out()
    return case_url


def journey_c_other_organisation(b, case_url):
    """(c) People of another organisation cannot open the case; an admin of the same one sees no case content."""
    b.journey = "(c) another organisation"
    path = case_url[len(b.base):]
    b.sign_in(SCOTLAND_OFFICER)
    b.open(path)
    b.expect(b.h1() == "Page not found", "an officer of another force gets 'Page not found'")
    b.expect("SG-" not in b.text(), "nothing of the case shows")
    b.screenshot("other-organisation-not-found")
    for page in ["/letter", "/outcome21", "/documents/case-record", "/record/crimeRecord"]:
        b.open(path + page)
        b.expect(b.h1() == "Page not found", f"{page} of another force's case is 'Page not found'")
    b.sign_out()
    b.sign_in(DSL)
    b.open(path)
    b.expect(b.h1() == "Page not found", "a school's DSL gets 'Page not found'")
    b.sign_out()
    b.sign_in(ADMIN)
    b.open(path)
    b.expect(b.h1() == "You cannot see this page", "an admin of the same force is refused case content")
    b.sign_out()


def journey_quick_hide(b, case_url):
    """Quick-hide (issue 13): a DSL on a case follows "Hide this page"; a neutral page replaces the screen at once,
    and Back brings back the sign-in page, not the case (no script: the plain link does it)."""
    b.journey = "quick-hide"
    path = case_url[len(b.base):]
    b.sign_in(OFFICER)
    b.open(path)
    link = b.retrying(lambda: b.driver.find_element(By.CSS_SELECTOR, "a.quick-hide"))
    b.expect(link.is_displayed() and link.text.strip() == "Hide this page", "every signed-in page shows 'Hide this page'")
    b.click_and_wait("a.quick-hide")
    b.expect(b.h1() == "Weather", "a neutral page replaces the screen")
    b.expect("Safeguard" not in b.driver.page_source and "SG-" not in b.text(), "nothing of Safeguard or the case shows")
    b.driver.back()
    b.expect(b.retrying(lambda: b.h1()) == "Sign in", "Back shows the sign-in page, not the case")
    b.expect("SG-" not in b.text(), "no case data on Back")
    # Where JavaScript runs, Escape pressed twice does the same (the pages' one script, from our own file).
    b.sign_in(OFFICER)
    b.open(path)
    b.javascript(True)
    try:
        b.driver.get(b.base + path)
        b.expect("SG-" in b.text(), "the case is on screen")
        ActionChains(b.driver).send_keys(Keys.ESCAPE).pause(0.1).send_keys(Keys.ESCAPE).perform()
        WebDriverWait(b.driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "h1").text == "Weather")
        b.expect("SG-" not in b.driver.page_source, "Escape twice replaces the screen")
    finally:
        b.javascript(False)
    b.open(path)
    b.expect(b.h1() == "Sign in", "and ends the session")


def journey_back_and_resubmit(b):
    """No duplicates (issue 11): an officer reports a case, goes Back to the form and sends the same report again,
    as people do when a page seems slow. One case is made, and the second send lands on it with a notice."""
    b.journey = "back and resubmit"
    # A long unbroken word in it too (a pasted link would be one), which must wrap rather than widen the pages.
    summary = "Back and resubmit: image shared between two pupils " + "x" * 240
    b.sign_in(OFFICER)

    def report():
        b.open("/cases/new")
        b.fill("summary", summary)
        b.choose("kind-image")
        b.fill("ageA", "15")
        b.fill("ageB", "15")
        b.submit()

    # Where JavaScript runs, a text box with a long limit counts as you type (issue 11, point 3); its limit is in its
    # hint either way.
    b.open("/cases/new")
    b.expect("Up to 500 characters." in b.text(), "the summary's limit shows without the script")
    b.javascript(True)
    try:
        b.driver.get(b.base + "/cases/new")
        b.driver.find_element(By.ID, "summary").send_keys("Twelve words")
        count = WebDriverWait(b.driver, 10).until(lambda d: d.find_element(By.ID, "summary-count"))
        b.expect(count.text == "12 of 500 characters used, 488 left.", f"the count follows the typing: {count.text!r}")
        b.driver.find_element(By.ID, "summary").send_keys("y" * 488)
        b.expect(count.text == "You have reached the limit of 500 characters.", f"and says when the limit is reached: {count.text!r}")
        b.expect("character-count-near" in count.get_attribute("class"), "near the limit the count stands out")
    finally:
        b.javascript(False)

    report()
    first = b.driver.current_url
    b.expect("/questions/" in first, "the report is saved and its questions follow")
    b.driver.back()
    b.expect(b.retrying(lambda: b.h1()) == "Report a new case", "Back shows the form again")
    report()
    b.expect(b.driver.current_url == first, "sending the same report again lands on the case it made")
    b.expect("This was sent already at" in b.text(), "with a notice that it was not saved twice")
    b.open(first[len(b.base):].split("/questions/")[0])
    b.expect_no_sideways_scroll("the case page with a long unbroken summary")
    b.open("/cases")
    b.expect(b.text().count(summary) == 1, "the case list holds the report once")
    b.expect_no_sideways_scroll("the case list with a long unbroken summary")
    b.sign_out()


def journey_b_school_concern(b):
    """(b), as far as it exists: staff raise a concern; the DSL finds it waiting for triage and answers the questions."""
    b.journey = "(b) school concern"
    b.sign_in(STAFF)
    b.open("/cases/new")
    b.expect(b.h1() == "Raise a concern", "staff raise a concern")
    b.fill("summary", "A pupil told me an image of them was shared")
    b.choose("kind-image")
    b.submit()
    b.expect("Your designated safeguarding person will look at this concern" in b.text(), "staff see what happens next, in the Welsh guidance's words")
    b.sign_out()
    b.sign_in(DSL)
    b.expect("A pupil told me an image of them was shared" in b.text(), "the DSL sees the concern waiting for triage")
    b.follow("main table a")
    b.follow("main a[href$='/questions/people']")
    b.expect("presenting as suicidal or self-harming" in b.text(), "the DSL is asked in the education guidance's words")
    b.choose("p0-immediateDanger-yes")
    b.submit()
    school_case = b.driver.current_url[len(b.base):].rsplit("/questions/", 1)[0]
    b.open(school_case)
    b.expect("Someone is in immediate danger" in b.text(), "immediate danger raises the emergency banner")
    b.screenshot("school-emergency")

    # The DSL's triage: six questions, with what the case knows filled in.
    b.follow_link("Triage: the six questions")
    b.expect(b.h1() == "Triage: the six questions", "the triage page opens from the case")
    b.choose("device-personal")
    b.choose("sharedElsewhere-notKnownYet")
    b.submit()
    b.expect("Saved: triage" in b.text(), "the triage is saved")
    b.expect("Telling the police" in b.text(), "the decisions the DSL acts on next are shown")
    # Triage made the DSL the owner (issue 11): the case and its actions are on the DSL's home, not the staff's.
    b.expect("owned by Demo dsl" in b.driver.find_element(By.CSS_SELECTOR, "main .caption").text, "the DSL owns the case after triage")
    reference = b.h1().replace("Case ", "")
    b.open("/")
    home = b.text()
    b.expect(reference in home.split("Your open cases", 1)[-1], "the DSL's home lists the case as theirs")
    b.expect("Needs doing today" in home and home.count(reference) >= 2, "and its actions")
    b.open(school_case)

    # The referral to the police, sharing only what the force needs.
    b.follow_link("Refer the case to the police")
    b.expect(b.h1() == "Refer the case to the police", "the referral page opens from the case")
    b.submit()
    b.expect("Select the police force" in b.find(".error-summary").text, "a force is asked for")
    b.choose_label("Demo Police Force")
    b.submit()
    text = b.text()
    b.expect("Referred to Demo Police Force" in text, "the referral is sent")
    b.expect("Sent: waiting for the force to accept it" in text, "the school sees its status")
    b.screenshot("school-referral-sent")
    # Until the force answers, the DSL may withdraw it, saying why (not done here: the force accepts it below).
    b.follow_link("Withdraw the referral")
    b.expect(b.h1().startswith("Withdraw the referral to Demo Police Force"), "the school may withdraw an unanswered referral")
    b.submit()
    b.expect("Say why the referral is withdrawn" in b.find(".error-summary").text, "a reason is asked for")
    b.sign_out()

    # The force's officer sees the referral and accepts it.
    b.sign_in(OFFICER)
    b.expect("Referrals to answer" in b.text(), "the officer's home lists the referral")
    b.follow_link("Answer the referral")
    b.expect(b.h1().startswith("Answer the referral from Demo Secondary School"), "the referral opens")
    b.choose("status")
    b.submit()
    b.expect("Referral accepted" in b.text(), "the force accepts it")
    b.expect("Referred by Demo Secondary School" in b.text(), "the force's case shows where it came from")
    b.screenshot("police-referral-accepted")
    b.sign_out()
    b.sign_in(DSL)
    b.open(school_case)
    b.expect("Accepted" in b.text(), "the school sees that the force accepted it")
    b.sign_out()


def journey_nations(b):
    """Issue 12: each nation under its own guidance. A Scottish officer's case is assessed under the National Guidance
    for Child Protection in Scotland and records one of Police Scotland's outcomes, in words; a Welsh school's lead is
    the designated safeguarding person (DSP), and its concern is assessed under the Welsh Government's guidance."""
    b.journey = "four nations"
    b.sign_in(SCOTLAND_OFFICER)
    b.open("/cases/new")
    b.fill("summary", "Scotland: image shared between two pupils, both 15")
    b.choose("kind-image")
    b.fill("ageA", "15")
    b.fill("ageB", "15")
    b.submit()
    b.expect("/questions/" in b.driver.current_url, "the report is saved and its questions follow")
    case = b.driver.current_url[len(b.base):].rsplit("/questions/", 1)[0]
    b.open(case)
    b.expect("National Guidance for Child Protection in Scotland" in b.text(),
             "the case is assessed under the Scottish guidance")
    b.expect("Propose Outcome 21" not in b.text(), "no Outcome 21 is offered in Scotland")
    b.follow_link("Record the outcome")
    b.expect("There is no Outcome 21 in Scotland" in b.text(), "the outcome page says why its list is Scotland's")
    b.expect("Recorded Police Warning" in b.text() and "For 16 and 17 year-olds." in b.text(),
             "Police Scotland's options are offered with the ages they are for")
    b.expect("Home Office" not in b.text(), "no Home Office codes in Scotland")
    b.screenshot("scotland-outcome")
    b.choose_label("Early and Effective Intervention")
    b.fill("rationale", "Agreed at the inter-agency referral discussion")
    b.submit()
    b.expect("Early and Effective Intervention" in b.text(), "the case shows the outcome in words")
    b.expect("earlyAndEffectiveIntervention" not in b.text(), "never its code")
    b.sign_out()

    b.sign_in(DSL)
    b.expect("Designated safeguarding person (DSP)" in b.driver.page_source, "the Welsh school's lead is the DSP (in the page header)")
    b.open("/cases/new")
    b.fill("summary", "Wales: a pupil says an image of them was shared")
    b.choose("kind-image")
    b.submit()
    case = b.driver.current_url[len(b.base):].rsplit("/questions/", 1)[0]
    b.open(case)
    b.expect("Sharing nudes and semi-nudes: responding to incidents and safeguarding children and young people" in b.text(),
             "the concern is assessed under the Welsh Government's guidance")
    b.screenshot("wales-case")
    b.sign_out()


def journey_admin_and_audit(b):
    """Administration: an admin adds a user (after fixing the form's mistakes) and changes their role; an auditor
    reads the audit trail, filters it, and sees that the chain verifies."""
    b.journey = "admin and audit"
    b.sign_in(ADMIN)
    b.follow("nav a[href='/users']")
    b.expect(b.h1() == "Users", "the admin's navigation opens Users")
    b.follow("main a[href='/users/new']")
    b.submit()
    b.expect("Enter their work email address" in b.find(".error-summary").text, "a missing email is explained")
    b.fill("email", "pc.browser@england-police.demo.safeguard.invalid")
    b.fill("displayName", "PC Browser")
    b.choose("role-officer")
    b.fill("password", "a first password for the browser test")
    b.submit()
    b.expect("PC Browser can now sign in as officer" in b.text(), "the new user is confirmed")
    b.screenshot("users")
    href = b.retrying(lambda: b.driver.find_element(By.XPATH, "//main//a[contains(., 'PC Browser')]").get_attribute("href"))
    b.open(href[len(b.base):])
    b.choose("role-supervisor")
    b.submit()
    b.expect("Saved:" in b.text(), "the change is saved")
    b.sign_out()
    b.sign_in(demo("auditor", "england-police"))
    b.follow("nav a[href='/audit']")
    b.expect("The audit chain verifies" in b.text(), "the auditor sees the chain verified")
    b.retrying(lambda: Select(b.driver.find_element(By.ID, "action")).select_by_visible_text("Users and their accounts"))
    b.submit("form.filters button")
    b.expect("Added a user" in b.text() and "Changed a user" in b.text(), "filtering shows the admin's changes, in words")
    b.screenshot("audit-trail")
    b.sign_out()


POLICE_RECORD_PAGES = ["crimeRecord", "welfareCheck", "advice", "backgroundCheck", "meeting", "childProtectionReferral", "account",
                       "suspectDecision", "interviewDecision", "deviceCustody", "outcome", "communication", "deletionDirection",
                       "contentRemoval", "caidLiaison", "childContactForm", "parentsInformed", "supportReferral"]
SCHOOL_RECORD_PAGES = ["triage", "conversation", "parentsInformed", "supportReferral", "externalReport", "childProtectionReferral",
                       "deviceCustody", "contentRemoval", "meeting", "communication", "postIncidentReview"]


def journey_every_page(b):
    """A tour of every form and document page the journeys above do not open, so that axe-core (and the check for raw
    identifiers) sees each of them too: every record page of a police case and of a school case; for every case the
    person can see, its documents and every page the case links to (the questions, sign-offs, subject access, the
    guidance it cites); adding a device; the account page; and an admin's settings and retention pages."""
    b.journey = "every page"
    guidance = {}
    for email, kinds, documents in [(OFFICER, POLICE_RECORD_PAGES, ["information-sheet", "child-contact-form", "case-record"]),
                                    (DSL, SCHOOL_RECORD_PAGES, ["information-sheet", "case-record"])]:
        b.sign_in(email)
        b.open("/cases")
        cases = b.retrying(lambda: [a.get_attribute("href")[len(b.base):] for a in b.driver.find_elements(By.CSS_SELECTOR, "main table a")])
        b.expect(cases, "the case list has cases")
        for kind in kinds:
            b.open(f"{cases[0]}/record/{kind}")
            b.expect(b.h1() != "Page not found", f"the {kind} page opens")
        b.open(f"{cases[0]}/devices/new")
        for case in dict.fromkeys(cases):
            for document in documents:
                b.open(f"{case}/documents/{document}")
            # Every other page the case links to (a link is a GET, so following it changes nothing); the record forms
            # are the same for every case and were opened above.
            b.open(case)
            seen = {f"{case}/documents/{d}" for d in documents} | {case}
            hrefs = b.retrying(lambda: [a.get_attribute("href") for a in b.driver.find_elements(By.CSS_SELECTOR, "main a[href]")])
            for href in dict.fromkeys(h.split("#")[0][len(b.base):] for h in hrefs if h and h.startswith(b.base + "/")):
                if href.startswith("/guidance/"):
                    guidance.setdefault(href, email)
                elif href.startswith(case + "/") and "/record/" not in href and href not in seen:
                    seen.add(href)
                    b.open(href)
        # The guidance paragraphs cited by this person's cases.
        for href, who in guidance.items():
            if who == email:
                b.open(href)
        b.open("/account")
        b.sign_out()
    # An admin's own pages: the organisation's settings and retention.
    b.sign_in(ADMIN)
    for page in ["/settings", "/retention", "/account"]:
        b.open(page)
        b.expect(b.h1() != "Page not found", f"{page} opens for an admin")
    b.sign_out()
    # Signed out: where a password reset code read out over the phone is typed, and its refusal of a wrong one.
    b.open("/password-reset")
    b.expect(b.h1() == "Reset your password", "the reset code page opens signed out")
    b.fill("code", "AAAA-BBBB-CCCC")
    b.submit()
    b.expect("That code does not work" in b.find(".error-summary").text, "a wrong reset code is explained")


def api(base, method, path, token=None, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def journey_two_factor(b, case_url):
    """Two-factor sign-in (issue 13): the supervisor the admin journey made (PC Browser) signs in and must set it up
    first, from the QR code page's key; keeps the recovery codes; signs in again with a code; opens a closed case
    once the code is stale and is asked for a fresh one, then brought back to the case; and hides the page."""
    b.journey = "two-factor"
    email = "pc.browser@england-police.demo.safeguard.invalid"
    password = "a first password for the browser test"
    b.open("/sign-in")
    b.fill("email", email)
    b.fill("password", password)
    b.submit()
    b.expect(b.h1() == "Two-factor sign-in", "a supervisor without it is taken to set up two-factor sign-in first")
    b.expect(b.driver.find_elements(By.CSS_SELECTOR, ".qr-code svg path"), "the page shows a QR code, drawn without script")
    b.keys[email] = b.find("code.secret").text
    b.screenshot("two-factor-set-up")
    b.enter_code(email)
    b.expect(b.h1() == "Your recovery codes", "a first code turns it on and shows the recovery codes")
    b.expect(len(b.driver.find_elements(By.CSS_SELECTOR, ".recovery-codes li")) == 10, "ten recovery codes")
    b.follow_link("I have kept them safe")
    b.expect(b.h1() == "Home", "then the supervisor reaches the home page")
    b.sign_out()
    b.sign_in(email, password)

    # Close the case of journey (a) through the API, as its officer.
    token = api(b.base, "POST", "/api/v1/tokens", body={"email": OFFICER, "password": PASSWORD})["token"]
    case_id = case_url.rstrip("/").split("/")[-1]
    version = api(b.base, "GET", f"/api/v1/cases/{case_id}", token)["version"]
    api(b.base, "PATCH", f"/api/v1/cases/{case_id}", token, {"version": version, "status": "closed", "reason": "Outcome 21 recorded; nothing more to do"})
    time.sleep(STEP_UP_SECONDS + 1)  # the code given at sign-in is now stale
    path = case_url[len(b.base):]
    b.open(path)
    b.expect(b.h1() == "Confirm it is you", "a closed case asks for a fresh code")
    b.enter_code(email)
    b.expect(b.driver.current_url.endswith(path), "and the case opens after it")
    b.expect("SG-" in b.text(), "the case is shown")
    b.click_and_wait("a.quick-hide")
    b.expect(b.h1() == "Weather", "quick-hide replaces the screen")
    b.driver.back()
    b.expect(b.retrying(lambda: b.h1()) == "Sign in", "Back shows the sign-in page, not the case")


def report_raw_identifiers(browser, artifacts, failures):
    """Prints the raw identifiers found, one line per page and token, writes them all to raw-identifiers.json in the
    artifacts, and fails the run if there are any."""
    os.makedirs(artifacts, exist_ok=True)
    # One line per page and token; a value that differs every time (a UUID, a timestamp) is one line per page and kind.
    values = ("ISO timestamp", "UUID", "ISO date", "ISO time")
    distinct = {}
    for journey, path, where, kind, token, context in browser.raw:
        key = (page_pattern(path), kind, kind if kind in values else token)
        if key not in distinct:
            distinct[key] = {"page": key[0], "token": token, "kind": kind, "where": where, "context": context,
                             "example": path, "journeys": [], "views": 0, "tokens": 0}
        distinct[key]["views"] += 1
        distinct[key]["tokens"] = len({r[4] for r in browser.raw if (page_pattern(r[1]), r[3]) == key[:2]}) if kind in values else 1
        if journey not in distinct[key]["journeys"]:
            distinct[key]["journeys"].append(journey)
    findings = sorted(distinct.values(), key=lambda f: (f["page"], f["kind"], f["token"]))
    with open(os.path.join(artifacts, "raw-identifiers.json"), "w", encoding="utf-8") as out:
        json.dump({"pages": sorted({page_pattern(url[len(browser.base):]) for _, _, url in browser.checked}),
                   "distinct": findings,
                   "all": [dict(zip(["journey", "path", "where", "kind", "token", "context"], r)) for r in browser.raw]},
                  out, indent=2, ensure_ascii=False)
    if findings:
        print(f"Raw identifiers a person would read (issue 11), {len(findings)} distinct by page and token:")
        for f in findings:
            where = "" if f["where"] == "page" else f" [{f['where']}]"
            more = f" (and {f['tokens'] - 1} more like it)" if f["tokens"] > 1 else ""
            print(f"  {f['page']}: {f['kind']} {f['token']!r}{more}{where} in \"{f['context']}\"")
        failures.append(f"{len(findings)} raw identifiers on pages (by page and token; see raw-identifiers.json)")
    else:
        print("No raw identifiers on any page.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--binary", default=os.path.join(root, ".build/debug/safeguard"))
    parser.add_argument("--artifacts", default=os.path.join(root, "artifacts/browser"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = parser.parse_args()

    axe = axe_source()
    print(f"axe-core {axe[1]} (from axe-playwright-python), Chromium at {args.chromium}")
    server = Server(args.binary, root)
    server.start()
    browser = None
    failures = []
    try:
        browser = Browser(server.base, args.artifacts, axe, args.chromium, args.chromedriver)
        browser.keys = dict(server.keys)
        print("browser:", browser.driver.capabilities.get("browserVersion"))
        browser.expect_javascript_off()
        journeys = [journey_sign_in_problems, journey_a_officer_reports_a_case]
        case_url = None
        for journey in journeys + [journey_c_other_organisation, journey_quick_hide, journey_back_and_resubmit, journey_b_school_concern,
                                    journey_nations, journey_admin_and_audit, journey_every_page, journey_two_factor]:
            try:
                if journey in (journey_c_other_organisation, journey_quick_hide, journey_two_factor):
                    if case_url is None:
                        raise Failure("journey (c) needs the case of journey (a)")
                    journey(browser, case_url)
                else:
                    result = journey(browser)
                    if journey is journey_a_officer_reports_a_case:
                        case_url = result
                print(f"PASS {journey.__name__}")
            except WebDriverException as error:
                if not flaky(error) or getattr(journey, "retried", False):
                    failures.append(f"{journey.__name__}: {error}")
                    print(f"FAIL {journey.__name__}: {error}")
                    traceback.print_exc(limit=3)
                    continue
                # A driver hiccup, not a page problem: start the journey again from a clean session, once.
                print(f"RETRY {journey.__name__} after a driver hiccup: {str(error).splitlines()[0]}")
                traceback.print_exc(limit=6)
                journey.retried = True
                try:
                    browser.driver.delete_all_cookies()
                    browser.submissions = 0
                    if journey in (journey_c_other_organisation, journey_quick_hide, journey_two_factor):
                        journey(browser, case_url)
                    else:
                        result = journey(browser)
                        if journey is journey_a_officer_reports_a_case:
                            case_url = result
                    print(f"PASS {journey.__name__} (second attempt)")
                except (Failure, WebDriverException) as again:
                    failures.append(f"{journey.__name__}: {again}")
                    print(f"FAIL {journey.__name__}: {again}")
            except Failure as error:
                failures.append(f"{journey.__name__}: {error}")
                print(f"FAIL {journey.__name__}: {error}")
                traceback.print_exc(limit=3)
                try:
                    browser.driver.delete_all_cookies()
                except WebDriverException:
                    pass
        # Still off after every navigation and every axe-core check of the run.
        browser.expect_javascript_off()
    finally:
        if browser:
            browser.quit()
        server.stop()

    print(f"\naxe-core {axe[1]}: {len(browser.checked) if browser else 0} page views checked, "
          f"{len({t for _, t, _ in browser.checked}) if browser else 0} distinct pages")
    if browser and browser.violations:
        print("Serious or critical accessibility violations:")
        for journey, title, rule, impact, help_text, nodes in browser.violations:
            print(f"  [{impact}] {rule} on '{title}' ({journey}): {help_text} {nodes}")
        failures.append(f"{len(browser.violations)} serious or critical axe-core violations")
    if browser:
        report_raw_identifiers(browser, args.artifacts, failures)
    if failures:
        print(f"\nFAILED: {len(failures)} problem(s)")
        for failure in failures:
            print("  " + failure.splitlines()[0])
        return 1
    print("\nAll journeys passed with no serious or critical axe-core violations.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
