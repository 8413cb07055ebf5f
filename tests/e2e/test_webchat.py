"""The web chat page (web/) in headless Chromium, against the real servers."""

from __future__ import annotations

import re
import time

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the conftest's fixtures skip these tests (or fail them in CI)
    Page = expect = None

from tests.conftest import PROJECT_ROOT, load_yaml
from tests.e2e.conftest import LLM_REPLIES
from tests.integration.replies import which_response

CREDENTIALS = load_yaml("credentials.yml")
MAX_CHARS = CREDENTIALS["rasa_hybrid.channels.socketio.LimitedSocketIOInput"][
    "max_message_chars"
]
[SCRIPTED] = load_yaml(str(LLM_REPLIES.relative_to(PROJECT_ROOT)))
SCREENSHOT = PROJECT_ROOT / "results/webchat.png"
TYPING = re.compile(r"\bis-visible\b")
# A turn can take seconds on a busy 2-core machine (and the first one longer).
TURN_TIMEOUT_MS = 30_000


class Chat:
    """The chat page as a customer uses it."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.bot = page.locator("#messages .message--bot .message__body")
        self.user = page.locator("#messages .message--user .message__body")
        self.status = page.locator("#connection-status")
        self.typing = page.locator("#typing")
        self.input = page.get_by_label("Your message")

    def open(self) -> None:
        self.page.goto(self.url)
        self.wait_connected()

    def wait_connected(self) -> None:
        expect(self.status).to_have_attribute(
            "data-state", "connected", timeout=TURN_TIMEOUT_MS
        )

    def texts(self) -> list[str]:
        return self.bot.all_text_contents()

    def say(self, text: str, replies: int = 1) -> list[str]:
        """Types a message and returns the texts of the next ``replies`` replies."""
        before = self.bot.count()
        self.input.fill(text)
        self.input.press("Enter")
        return self.wait_replies(before, replies)

    def click(self, title: str, replies: int = 1) -> list[str]:
        """Clicks a button the assistant offered; returns the replies."""
        before = self.bot.count()
        self.page.locator(".quick-replies").get_by_role("button", name=title).click()
        return self.wait_replies(before, replies)

    def wait_replies(self, before: int, replies: int) -> list[str]:
        expect(self.bot).to_have_count(before + replies, timeout=TURN_TIMEOUT_MS)
        return self.texts()[before:]

    def session_id(self) -> str:
        return self.page.evaluate("window.acmeChat.sessionId")


def names(texts: list[str]) -> list[str]:
    return [which_response(text) for text in texts]


def test_a_conversation_in_the_web_chat(servers, browser):
    page = browser.pages[0] if browser.pages else browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    chat = Chat(page, servers.base_url + "/chat")  # redirected to /chat/
    chat.open()
    assert page.url == servers.base_url + "/chat/"

    # Accessible markup: landmarks, a labelled input with the server's limit,
    # a live message log.
    for role in ("banner", "main", "contentinfo", "log"):
        expect(page.get_by_role(role)).to_have_count(1)
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    expect(chat.input).to_have_attribute("maxlength", str(MAX_CHARS))
    expect(page.get_by_role("button", name="Send")).to_be_visible()

    assert names(chat.say("hi")) == ["utter_greet"]

    # An open question: the typing indicator shows while the (scripted, slow)
    # model works, then the model's answer, its source and an offer.
    before = chat.bot.count()
    chat.input.fill("why does my washing machine rattle so loudly?")
    chat.input.press("Enter")
    expect(chat.typing).to_have_class(TYPING, timeout=2_000)
    expect(chat.typing).to_contain_text("typing")
    assert chat.bot.count() == before, "the indicator shows before the answer"
    answer, source, offer = chat.wait_replies(before, 3)
    assert answer == SCRIPTED["text"]
    assert source == "(From our guide: Acme FrontLoad Washer Leaks and Noises)"
    assert names([source, offer]) == [
        "utter_knowledge_source",
        "utter_offer_repair_visit",
    ]
    expect(page.locator(".quick-replies button").last).to_have_text(
        "Book a repair visit"
    )
    expect(chat.typing).not_to_have_class(TYPING, timeout=5_000)

    # Nothing in the guides: an honest answer with buttons for the tasks.
    # Track an order by its button: the title is the customer's message.
    [unknown] = chat.say("what is the capital of peru")
    assert names([unknown])[0] in ("utter_knowledge_unknown", "utter_llm_unavailable")
    assert names(chat.click("Track an order")) == ["utter_ask_order_number"]
    assert chat.user.last.text_content() == "Track an order"
    expect(page.locator(".quick-replies button:enabled")).to_have_count(0)

    [question] = chat.say("A-1234")
    assert which_response(question) == "utter_ask_order_verification"
    assert "A-1234" in question

    # A reload in the middle of the form: the transcript is back, and the
    # conversation goes on under the same session id.
    shown = chat.texts()
    said = chat.user.all_text_contents()
    session = chat.session_id()
    page.reload()
    chat.wait_connected()
    assert chat.texts() == shown
    assert chat.user.all_text_contents() == said
    assert chat.session_id() == session
    expect(page.locator(".quick-replies button:enabled")).to_have_count(0)
    [status] = chat.say("10001")
    assert which_response(status) == "utter_order_status_shipped"
    assert "A-1234" in status and "UPS" in status

    expect(chat.typing).not_to_have_class(TYPING, timeout=5_000)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert not errors


def test_the_chat_reconnects_after_the_connection_drops(servers, browser):
    page = browser.pages[0] if browser.pages else browser.new_page()
    chat = Chat(page, servers.base_url + "/chat/")
    chat.open()
    # Keyboard only: the skip link leads to the message box, which shows its focus.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the message box")).to_be_focused()
    page.keyboard.press("Enter")
    expect(chat.input).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != (
        "none"
    )
    page.keyboard.type("hi")
    page.keyboard.press("Enter")
    assert names(chat.wait_replies(0, 1)) == ["utter_greet"]
    session = chat.session_id()
    # Record every state the connection status goes through.
    page.evaluate(
        """() => {
            const status = document.getElementById("connection-status");
            window.seenStates = [];
            new MutationObserver(() => window.seenStates.push(status.dataset.state))
                .observe(status, {attributes: true, attributeFilter: ["data-state"]});
        }"""
    )

    # The network goes away and the socket drops.
    browser.set_offline(True)
    page.evaluate("window.acmeChat.socket.io.engine.close()")
    expect(chat.status).not_to_have_attribute("data-state", "connected")
    # A message typed meanwhile waits, and is answered once back online.
    before = chat.bot.count()
    chat.input.fill("thanks")
    chat.input.press("Enter")
    page.wait_for_timeout(1000)
    assert chat.bot.count() == before
    browser.set_offline(False)
    chat.wait_connected()
    assert names(chat.wait_replies(before, 1)) == ["utter_you_are_welcome"]
    assert "reconnecting" in page.evaluate("window.seenStates")
    assert chat.session_id() == session
    assert names(chat.say("bye")) == ["utter_goodbye"]

    # "Start over": an empty page, a new session id, a conversation that works.
    page.get_by_role("button", name="Start over").click()
    expect(chat.bot).to_have_count(0)
    chat.wait_connected()
    assert chat.session_id() != session
    assert names(chat.say("hi")) == ["utter_greet"]
    page.reload()
    chat.wait_connected()
    assert len(chat.texts()) == 1
    # Past the channel's limit: the box's maxlength stops a typist; a script
    # that talks to the socket itself gets the channel's own answer.
    page.evaluate(
        """max => window.acmeChat.socket.emit("user_uttered", {
            message: "x".repeat(max + 1), session_id: window.acmeChat.sessionId})""",
        MAX_CHARS,
    )
    assert names(chat.wait_replies(1, 1)) == ["utter_message_too_long"]
    assert names(chat.say("hi")) == ["utter_greet"]


def test_the_chat_says_connecting_until_the_assistant_has_loaded(servers, browser):
    page = browser.pages[0] if browser.pages else browser.new_page()
    # The action server still loading, as /chat/ready reports it at start.
    loading = {"ready": False}
    asked: list[str] = []

    def ready(route):
        asked.append(route.request.url)
        if loading["ready"]:
            route.continue_()
        else:
            route.fulfill(json={"ready": False})

    page.route("**/chat/ready", ready)
    chat = Chat(page, servers.base_url + "/chat/")
    page.goto(chat.url)
    expect(chat.status).to_have_text("Connecting…")
    chat.input.fill("hi")
    chat.input.press("Enter")  # kept until the assistant is ready
    # Route handlers run only while Playwright is called, so wait through it
    # (time.sleep would hold every /chat/ready request unanswered). The page
    # asks once per second after the socket joins; on a busy machine the join
    # alone can take seconds.
    deadline = time.monotonic() + TURN_TIMEOUT_MS / 1000
    while len(asked) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert len(asked) >= 3, "the page keeps asking"
    expect(chat.status).to_have_attribute("data-state", "connecting")
    assert chat.bot.count() == 0

    loading["ready"] = True  # now the real /chat/ready answers
    chat.wait_connected()
    expect(chat.status).to_have_text("Connected")
    assert names(chat.wait_replies(0, 1)) == ["utter_greet"]
