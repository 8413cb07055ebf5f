/*
 * Acme Appliances web chat.
 *
 * Talks to Rasa's socket.io channel on the same origin (plugin/src/rasa_hybrid/channels/socketio.py):
 * `session_request` with a session id kept in localStorage, then
 * `user_uttered` {message, session_id} out and `bot_uttered` messages in.
 * The transcript is kept per session id, so a reload shows it again and the
 * conversation goes on under the same id on the server.
 */
(function () {
  "use strict";

  const SESSION_KEY = "acme-chat:session";
  const TRANSCRIPT_KEY = "acme-chat:transcript:";
  const KEPT_ENTRIES = 200;
  // The channel has no end-of-turn event. A turn is taken as over when no
  // reply came for QUIET_MS after the last one (the replies of one turn come
  // within milliseconds of each other), or after TURN_TIMEOUT_MS in all.
  const QUIET_MS = 1500;
  const TURN_TIMEOUT_MS = 60000;

  const els = {
    log: document.getElementById("messages"),
    typing: document.getElementById("typing"),
    status: document.getElementById("connection-status"),
    form: document.getElementById("composer"),
    input: document.getElementById("message-input"),
    startOver: document.getElementById("start-over"),
  };

  const storage = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch (_) { return null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch (_) { /* private mode: not kept */ }
    },
    remove(key) {
      try { window.localStorage.removeItem(key); } catch (_) { /* nothing kept */ }
    },
  };

  function newSessionId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function loadTranscript(id) {
    try {
      const entries = JSON.parse(storage.get(TRANSCRIPT_KEY + id) || "[]");
      return Array.isArray(entries) ? entries.filter((e) => e && typeof e.text === "string") : [];
    } catch (_) {
      return [];
    }
  }

  let sessionId = storage.get(SESSION_KEY);
  if (!sessionId) {
    sessionId = newSessionId();
    storage.set(SESSION_KEY, sessionId);
  }
  let transcript = loadTranscript(sessionId);

  function saveTranscript() {
    transcript = transcript.slice(-KEPT_ENTRIES);
    storage.set(TRANSCRIPT_KEY + sessionId, JSON.stringify(transcript));
  }

  // --- the message log ---------------------------------------------------

  function scrollToEnd() {
    els.log.scrollTop = els.log.scrollHeight;
  }

  function renderEntry(entry) {
    const item = document.createElement("div");
    item.className = "message message--" + (entry.from === "user" ? "user" : "bot");
    item.dataset.from = entry.from;

    const text = document.createElement("p");
    text.className = "message__text";
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = entry.from === "user" ? "You said: " : "Assistant: ";
    const body = document.createElement("span");
    body.className = "message__body";
    body.textContent = entry.text;
    text.append(who, body);
    if (entry.text) item.append(text);

    if (entry.image) {
      const img = document.createElement("img");
      img.className = "message__image";
      img.src = entry.image;
      img.alt = "";
      item.append(img);
    }

    if (entry.buttons && entry.buttons.length) {
      const group = document.createElement("div");
      group.className = "quick-replies";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested replies");
      for (const choice of entry.buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button button--reply";
        button.textContent = choice.title;
        button.disabled = Boolean(entry.used);
        button.addEventListener("click", () => {
          sendUserMessage(choice.title, choice.payload);
          els.input.focus();
        });
        group.append(button);
      }
      item.append(group);
    }
    els.log.append(item);
    document.body.classList.add("has-messages");
    return item;
  }

  function addEntry(entry) {
    transcript.push(entry);
    saveTranscript();
    renderEntry(entry);
    scrollToEnd();
  }

  function addNote(text) {
    // Page chrome (not part of the conversation, not kept).
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = text;
    els.log.append(note);
    scrollToEnd();
  }

  function retireQuickReplies() {
    for (const entry of transcript) if (entry.buttons) entry.used = true;
    for (const button of els.log.querySelectorAll(".quick-replies button")) button.disabled = true;
  }

  // --- typing indicator --------------------------------------------------

  const typing = {
    timer: 0,
    lastSent: 0,
    lastReply: 0,
    show() {
      els.typing.textContent = "The assistant is typing…";
      els.typing.classList.add("is-visible");
    },
    hide() {
      clearTimeout(this.timer);
      els.typing.textContent = "";
      els.typing.classList.remove("is-visible");
    },
    arm(ms, done) {
      clearTimeout(this.timer);
      this.timer = setTimeout(done, ms);
    },
    sent() {
      this.lastSent = Date.now();
      this.show();
      this.arm(TURN_TIMEOUT_MS, () => this.timedOut());
    },
    replied() {
      this.lastReply = Date.now();
      if (!els.typing.classList.contains("is-visible")) return;
      this.arm(QUIET_MS, () => {
        // A message sent after the last reply still waits for its own.
        if (this.lastSent > this.lastReply) this.arm(TURN_TIMEOUT_MS, () => this.timedOut());
        else this.hide();
      });
    },
    timedOut() {
      this.hide();
      addNote("No answer came back. Please try sending your message again.");
    },
  };

  // --- the connection ----------------------------------------------------

  function setStatus(state, text) {
    els.status.dataset.state = state;
    els.status.textContent = text;
  }

  if (typeof window.io !== "function") {
    setStatus("offline", "Chat unavailable");
    addNote("The chat could not load. Please try again later.");
    return;
  }

  const socket = window.io({ path: "/socket.io", reconnectionDelayMax: 5000 });
  const outbox = [];
  let ready = false; // connected, joined to the session's room, assistant loaded
  let everConnected = false;
  let assistantReady = false; // the action server has loaded its models (/chat/ready)

  // Until the assistant has loaded what a first answer needs, the page says
  // "Connecting…" and keeps the customer's messages in the outbox.
  function whenAssistantReady(then) {
    if (assistantReady) return then();
    fetch("ready", { cache: "no-store" })
      .then((answer) => (answer.ok ? answer.json() : { ready: false }))
      .catch(() => ({ ready: false }))
      .then((body) => {
        if (body && body.ready === true) {
          assistantReady = true;
          then();
        } else {
          window.setTimeout(() => whenAssistantReady(then), 1000);
        }
      });
  }

  function flush() {
    while (ready && socket.connected && outbox.length) {
      socket.emit("user_uttered", { message: outbox.shift(), session_id: sessionId });
      typing.sent();
    }
  }

  function sendUserMessage(shown, message) {
    if (!message || !message.trim()) return;
    retireQuickReplies();
    addEntry({ from: "user", text: shown });
    outbox.push(message);
    flush();
  }

  socket.on("connect", () => {
    ready = false;
    setStatus("connecting", everConnected ? "Reconnecting…" : "Connecting…");
    socket.emit("session_request", { session_id: sessionId });
  });

  socket.on("session_confirm", () => {
    // The server echoes the id it was given; this page keeps its own.
    whenAssistantReady(() => {
      if (!socket.connected) return;
      ready = true;
      everConnected = true;
      setStatus("connected", "Connected");
      flush();
    });
  });

  socket.on("disconnect", (reason) => {
    ready = false;
    if (reason === "io client disconnect") {
      setStatus("offline", "Disconnected");
      return;
    }
    setStatus("reconnecting", "Connection lost. Reconnecting…");
    // The server closing the socket stops socket.io's own retries.
    if (reason === "io server disconnect") socket.connect();
  });

  socket.on("connect_error", () => {
    setStatus("reconnecting", "Can't reach the assistant. Retrying…");
  });

  socket.on("bot_uttered", (data) => {
    if (!data || typeof data !== "object") return;
    const entry = { from: "bot", text: typeof data.text === "string" ? data.text : "" };
    const choices = Array.isArray(data.quick_replies) ? data.quick_replies : data.buttons;
    if (Array.isArray(choices)) {
      entry.buttons = choices
        .filter((c) => c && typeof c.title === "string" && typeof c.payload === "string")
        .map((c) => ({ title: c.title, payload: c.payload }));
    }
    const attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      const src = String(attachment.payload.src || "");
      if (/^(https?:|\/)/.test(src)) entry.image = src;
    }
    if (!entry.text && !entry.image && !(entry.buttons && entry.buttons.length)) return;
    addEntry(entry);
    typing.replied();
  });

  // --- the page ----------------------------------------------------------

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = els.input.value.slice(0, els.input.maxLength > 0 ? els.input.maxLength : undefined);
    if (!text.trim()) return;
    els.input.value = "";
    sendUserMessage(text, text);
  });

  els.startOver.addEventListener("click", () => {
    storage.remove(TRANSCRIPT_KEY + sessionId);
    sessionId = newSessionId();
    storage.set(SESSION_KEY, sessionId);
    transcript = [];
    outbox.length = 0;
    typing.hide();
    for (const node of els.log.querySelectorAll(".message, .note")) node.remove();
    document.body.classList.remove("has-messages");
    // A new socket, so that it leaves the old session's room.
    socket.disconnect().connect();
    els.input.focus();
  });

  for (const entry of transcript) renderEntry(entry);
  scrollToEnd();

  // For tests and debugging in the browser's console.
  window.acmeChat = {
    socket,
    get sessionId() { return sessionId; },
  };
})();
