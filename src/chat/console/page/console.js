// kv-warden local console: renders the bot's Adaptive Cards, follows live updates over server-sent
// events, and sends clicks and /kv commands as the person picked in the switcher. No build step.
/* global AdaptiveCards */
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { user: '', people: [], rendered: new Map() };

  // Minimal, safe Markdown for TextBlocks: escape everything, then bold, italic, code and http(s) links.
  function escapeHtml(text) {
    return String(text).replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
    );
  }
  function markdown(text) {
    let html = escapeHtml(text);
    html = html.replace(/`([^`]+)`/g, '<code>$1</code>');
    html = html.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
    html = html.replace(/(^|[\s(])_([^_]+)_(?=[\s).,]|$)/g, '$1<em>$2</em>');
    html = html.replace(
      /\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g,
      '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>',
    );
    return html.replace(/\n/g, '<br>');
  }
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = markdown(text);
    result.didProcess = true;
  };

  function addNotice(text, kind) {
    const li = document.createElement('li');
    li.className = kind || 'info';
    const time = document.createElement('time');
    time.textContent = new Date().toLocaleTimeString();
    li.append(time, document.createTextNode(text));
    $('notices').prepend(li);
  }

  function personLabel(p) {
    return p.roles.length ? `${p.displayName} (${p.roles.join(', ')})` : `${p.displayName} (no role)`;
  }

  function selectUser(name) {
    state.user = name;
    try {
      localStorage.setItem('kvw.user', name);
    } catch {}
    const p = state.people.find((x) => x.name === name);
    $('roles').textContent = p ? (p.roles.length ? `roles: ${p.roles.join(', ')}` : 'no role') : '';
  }

  async function loadPeople() {
    const res = await fetch('/console/people', { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`people: HTTP ${res.status}`);
    const body = await res.json();
    state.people = body.people;
    const select = $('user');
    select.textContent = '';
    for (const p of state.people) {
      const opt = document.createElement('option');
      opt.value = p.name;
      opt.textContent = personLabel(p);
      select.append(opt);
    }
    let saved = '';
    try {
      saved = localStorage.getItem('kvw.user') || '';
    } catch {}
    const initial = state.people.some((p) => p.name === saved) ? saved : state.people[0]?.name || '';
    select.value = initial;
    selectUser(initial);
    select.addEventListener('change', () => selectUser(select.value));
  }

  async function postJson(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let json = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { notice: text };
    }
    if (!res.ok) throw new Error(json.notice || json.text || json.message || `HTTP ${res.status}`);
    return json;
  }

  function collectInputs(card) {
    const inputs = {};
    for (const input of card.getAllInputs()) {
      if (input.id && input.value !== undefined && input.value !== null && input.value !== '')
        inputs[input.id] = String(input.value);
    }
    return inputs;
  }

  async function onAction(card, action, holder) {
    if (action instanceof AdaptiveCards.OpenUrlAction) {
      if (/^https?:\/\//.test(action.url)) window.open(action.url, '_blank', 'noopener,noreferrer');
      return;
    }
    if (!(action instanceof AdaptiveCards.ExecuteAction) && !(action instanceof AdaptiveCards.SubmitAction))
      return;
    const inputs = collectInputs(card);
    const data = Object.assign({}, action.data || {});
    for (const id of Object.keys(inputs)) delete data[id];
    const verb = action.verb || (typeof data.verb === 'string' ? data.verb : '');
    setCardNote(holder, '', '');
    if (!state.user) {
      setCardNote(holder, 'refusal', 'Pick a person in "Acting as" first.');
      return;
    }
    try {
      const outcome = await postJson('/console/action', { user: state.user, verb, data, inputs });
      if (outcome.card && holder.dataset.messageId) {
        const id = holder.dataset.messageId;
        const message = state.rendered.get(id);
        if (message) renderMessage({ ...message, card: outcome.card.card, text: outcome.card.text });
      }
      if (outcome.reply?.card) showPrivateReply(holder, outcome.reply);
      if (outcome.notice) {
        const target = holder.dataset.messageId
          ? document.querySelector(`[data-message-id="${holder.dataset.messageId}"]`)
          : holder;
        setCardNote(target || holder, 'refusal', outcome.notice);
        addNotice(`${state.user}: ${outcome.notice}`, 'refusal');
      }
    } catch (err) {
      setCardNote(holder, 'refusal', String(err.message || err));
      addNotice(String(err.message || err), 'refusal');
    }
  }

  // A card only the clicker sees (a pivot query's result), under the card they clicked: it is the
  // answer to this page's click and is never posted to the channel.
  function showPrivateReply(holder, reply) {
    const target =
      (holder.dataset.messageId &&
        document.querySelector(`[data-message-id="${holder.dataset.messageId}"]`)) ||
      holder;
    let panel = target.querySelector(':scope > .private-reply');
    if (!panel) {
      panel = document.createElement('section');
      panel.className = 'private-reply';
      target.append(panel);
    }
    panel.textContent = '';
    panel.setAttribute('aria-label', 'Only you can see this');
    const head = document.createElement('div');
    head.className = 'private-head';
    const label = document.createElement('span');
    label.textContent = `Only you (${state.user}) can see this`;
    const dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.textContent = 'Dismiss';
    dismiss.addEventListener('click', () => panel.remove());
    head.append(label, dismiss);
    const box = document.createElement('div');
    box.className = 'reply-card';
    box.append(renderAdaptive(reply.card, panel));
    panel.append(head, box);
  }

  function setCardNote(holder, kind, text) {
    if (!holder) return;
    let note = holder.querySelector(':scope > .note');
    if (!text) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement('div');
      holder.append(note);
    }
    note.className = `note ${kind}`;
    note.setAttribute('role', kind === 'refusal' ? 'alert' : 'status');
    note.textContent = text;
  }

  function renderAdaptive(json, holder) {
    const card = new AdaptiveCards.AdaptiveCard();
    card.onExecuteAction = (action) => onAction(card, action, holder);
    try {
      card.parse(json);
      const el = card.render();
      if (el) return el;
    } catch (err) {
      const pre = document.createElement('pre');
      pre.textContent = `This card could not be rendered: ${err.message || err}`;
      return pre;
    }
    const fallback = document.createElement('div');
    fallback.textContent = '(empty card)';
    return fallback;
  }

  function renderMessage(message) {
    state.rendered.set(message.id, message);
    let li = document.querySelector(`[data-message-id="${message.id}"]`);
    const isNew = !li;
    if (!li) {
      li = document.createElement('li');
      li.dataset.messageId = message.id;
    }
    li.className = `message ${message.kind}`;
    li.textContent = '';
    const meta = document.createElement('div');
    meta.className = 'meta';
    const where = document.createElement('span');
    where.textContent = `#${message.channel}`;
    const when = document.createElement('span');
    const updated = message.updatedAt !== message.postedAt;
    when.textContent = `${updated ? 'updated' : 'posted'} ${new Date(message.updatedAt).toLocaleString()}`;
    meta.append(where, when);
    li.append(meta);
    if (message.kind === 'card' && message.card) {
      const box = document.createElement('div');
      box.className = 'card';
      box.append(renderAdaptive(message.card, li));
      li.append(box);
    } else {
      const body = document.createElement('div');
      body.className = 'body';
      body.textContent = message.text;
      li.append(body);
    }
    if (isNew) insertSorted(li, message.id);
    else {
      li.classList.add('flash');
      setTimeout(() => li.classList.remove('flash'), 1300);
    }
    $('empty').hidden = true;
    $('count').textContent = `(${state.rendered.size})`;
  }

  // Newest first.
  function insertSorted(li, id) {
    const list = $('messages');
    for (const other of list.children) {
      if (other.dataset.messageId < id) {
        list.insertBefore(li, other);
        return;
      }
    }
    list.append(li);
  }

  function connect() {
    const live = $('live');
    const events = new EventSource('/console/events');
    events.addEventListener('open', () => {
      live.textContent = 'live';
      live.classList.remove('off');
    });
    events.addEventListener('error', () => {
      live.textContent = 'reconnecting';
      live.classList.add('off');
    });
    events.addEventListener('post', (e) => renderMessage(JSON.parse(e.data).message));
    events.addEventListener('notice', (e) => addNotice(JSON.parse(e.data).text, 'info'));
  }

  function showReply(answer) {
    const box = $('reply');
    box.hidden = false;
    box.textContent = '';
    if (answer.text) {
      const pre = document.createElement('pre');
      pre.textContent = answer.text;
      box.append(pre);
    }
    if (answer.card?.card) box.append(renderAdaptive(answer.card.card, box));
  }

  $('command-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('command');
    const text = input.value.trim();
    if (!text) return;
    if (!state.user) {
      showReply({ text: 'Pick a person in "Acting as" first.' });
      return;
    }
    try {
      showReply(await postJson('/console/command', { user: state.user, text }));
    } catch (err) {
      showReply({ text: String(err.message || err) });
    }
  });

  loadPeople()
    .catch((err) => addNotice(`Could not load people: ${err.message || err}`, 'refusal'))
    .finally(connect);
})();
