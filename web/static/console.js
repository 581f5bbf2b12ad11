// console.js - the little the staff console does with JavaScript; every page works
// without it. On the dashboard, the progress bars follow the broadcasts through
// server-sent events (/console/eventi). On the compose page, the policy's verdicts and
// the previews (the WhatsApp bubble, and each platform's as its connector renders it)
// follow the typing (POST /api/v1/policy/check with the session's CSRF token), and a field
// for the reason appears under each warning.
(function () {
  'use strict';

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  var en = document.documentElement.lang === 'en';

  // --- dashboard: live progress ---
  var box = document.getElementById('progressi');
  if (box && window.EventSource) {
    var src = new EventSource(box.getAttribute('data-events'));
    src.addEventListener('progress', function (ev) {
      var list;
      try { list = JSON.parse(ev.data); } catch (e) { return; }
      box.textContent = '';
      if (!list.length) {
        box.appendChild(el('p', { 'class': 'console-none' },
          en ? 'No message is going out right now.' : 'Nessun messaggio in uscita in questo momento.'));
        return;
      }
      list.forEach(function (m) {
        var d = el('div', { 'class': 'console-progress mb-3', 'data-id': String(m.id) });
        var p = el('p', { 'class': 'mb-1' });
        p.appendChild(el('strong', {}, m.title));
        p.appendChild(document.createTextNode(' '));
        p.appendChild(el('span', { 'class': 'badge bg-primary' }, m.state_label));
        d.appendChild(p);
        d.appendChild(el('progress', { 'class': 'w-100', max: '100', value: String(m.percent),
          'aria-label': m.title + ': ' + m.percent + '%' }, m.percent + '%'));
        d.appendChild(el('p', { 'class': 'small mb-0 console-counts' }, m.percent + '% · ' +
          (en ? 'sent ' : 'inviati ') + m.sent + ' / ' + m.audience + ' · ' +
          (en ? 'delivered ' : 'consegnati ') + m.delivered + ' · ' + (en ? 'read ' : 'letti ') + m.read +
          ' · ' + (en ? 'failed ' : 'non riusciti ') + m.failed));
        if (m.platforms && m.platforms.length) { // each platform's own bar
          var ul = el('ul', { 'class': 'list-unstyled small mt-1 mb-0 console-platforms',
            'aria-label': en ? 'Delivery per platform' : 'Invio per piattaforma' });
          m.platforms.forEach(function (q) {
            var li = el('li', { 'class': 'platform-' + q.platform }, q.label + ' ');
            li.appendChild(el('progress', { max: '100', value: String(q.percent),
              'aria-label': q.message_title + ', ' + q.label + ': ' + q.percent + '%' }, q.percent + '%'));
            li.appendChild(document.createTextNode(' ' + q.state_label + ' · ' + q.sent + ' / ' + q.total +
              ' · ' + (en ? 'failed ' : 'non riusciti ') + q.failed));
            ul.appendChild(li);
          });
          d.appendChild(ul);
        }
        box.appendChild(d);
      });
    });
  }

  // --- compose: live verdicts and preview ---
  var form = document.getElementById('scrivi');
  var out = document.getElementById('verdetti');
  if (!form || !out) return;
  var timer = null, seq = 0;

  function local2rfc(v) {
    if (!v) return null;
    var d = new Date(v); // the browser's time zone: the staff work in Italy
    return isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d+Z$/, 'Z');
  }

  function body() {
    var f = form.elements, b = {
      category: f.category.value, title: f.title.value, text: f.text.value,
      priority: f.emergency && f.emergency.checked ? 'emergency' : 'normal'
    };
    if (f.link.value) b.link = f.link.value;
    var when = local2rfc(f.scheduled_at.value);
    if (when) b.scheduled_at = when;
    if (f.justification.value) b.justification = f.justification.value;
    var ov = [];
    Array.prototype.forEach.call(form.querySelectorAll('input[name^="override_"]'), function (i) {
      if (i.name !== 'override_rules' && i.value) ov.push({ rule: i.name.slice(9), reason: i.value });
    });
    if (ov.length) b.overrides = ov;
    return b;
  }

  function preview() {
    var p = document.getElementById('anteprima'), f = form.elements;
    p.textContent = '';
    if (f.title.value) { var t = el('p', { 'class': 'wa-title' }); t.appendChild(el('strong', {}, f.title.value)); p.appendChild(t); }
    p.appendChild(el('p', { 'class': 'wa-text' }, f.text.value));
    if (f.link.value) p.appendChild(el('p', { 'class': 'wa-link' }, f.link.value));
  }

  function overrides(verdicts) {
    var fs = document.getElementById('overrides'), keep = {}, rules = [];
    Array.prototype.forEach.call(fs.querySelectorAll('input'), function (i) { keep[i.name] = i.value; });
    Array.prototype.forEach.call(fs.querySelectorAll('div'), function (d) { d.remove(); });
    verdicts.forEach(function (v) {
      if (v.level !== 'warn') return;
      var name = 'override_' + v.rule, d = el('div', { 'class': 'mb-2' });
      d.appendChild(el('label', { 'for': name, 'class': 'form-label' },
        (en ? 'Reason for ' : 'Motivo per ') + '«' + (en ? v.reason_en : v.reason) + '»'));
      var i = el('input', { type: 'text', 'class': 'form-control', id: name, name: name });
      i.value = keep[name] || '';
      i.addEventListener('input', schedule);
      d.appendChild(i);
      fs.appendChild(d);
      rules.push(v.rule);
    });
    fs.hidden = rules.length === 0;
    document.getElementById('override_rules').value = rules.join(',');
  }

  // How each platform of the channel shows it: the API renders it with the platform's
  // connector, the same function that sends it.
  var names = {
    whatsapp: en ? 'WhatsApp (the approved template\'s fields)' : 'WhatsApp (i campi del modello approvato)',
    telegram: 'Telegram',
    email: en ? 'E-mail (plain text)' : 'E-mail (testo semplice)',
    webpush: en ? 'Browser notification' : 'Notifica del browser',
    sms: en ? 'Text message (SMS)' : 'SMS'
  };
  var titles = { email: en ? 'Subject' : 'Oggetto', webpush: en ? 'Title' : 'Titolo' };
  function previews(list) {
    var box = document.getElementById('anteprime');
    if (!box || !list) return;
    box.textContent = '';
    list.forEach(function (p) {
      var a = el('article', { 'class': 'platform-preview preview-' + p.platform + ' mb-3' });
      a.appendChild(el('h3', { 'class': 'h6 mb-1' }, names[p.platform] || p.platform));
      if (p.error) {
        a.appendChild(el('p', { 'class': 'console-ko' }, en ? 'This platform cannot show the message as it is.'
          : 'Questa piattaforma non può mostrare il messaggio così com\'è.'));
      } else {
        if (p.title) {
          var t = el('p', { 'class': 'mb-1' });
          t.appendChild(el('strong', {}, (titles[p.platform] || '') + ':'));
          t.appendChild(document.createTextNode(' ' + p.title));
          a.appendChild(t);
        }
        a.appendChild(el('pre', { 'class': 'preview-body' }, p.body));
        a.appendChild(el('p', { 'class': 'small mb-0 preview-counts' }, (en ? 'characters: ' : 'caratteri: ') + p.chars +
          (en ? ' · messages per recipient: ' : ' · messaggi per destinatario: ') + p.parts + (p.cut ? (en ? ' · text shortened' : ' · testo accorciato') : '') +
          (p.media_dropped ? (en ? ' · attachment not sent: the link carries it' : ' · allegato non inviato: il link lo porta') : '')));
      }
      box.appendChild(a);
    });
  }

  function show(res) {
    out.textContent = '';
    if (res.error) {
      out.appendChild(el('p', { 'class': 'console-ko' }, en ? res.message_en : res.message));
      return;
    }
    var head = el('p', { 'class': res.allowed ? 'console-ok' : 'console-ko' });
    head.appendChild(el('span', { 'class': 'badge ' + (res.allowed ? 'bg-success' : 'bg-danger') },
      res.allowed ? (en ? 'Allowed' : 'Consentito') : (en ? 'Not allowed' : 'Non consentito')));
    head.appendChild(document.createTextNode(' ' + (res.allowed
      ? (en ? 'The policy allows the message.' : 'La policy permette il messaggio.')
      : (en ? 'The policy does not allow the message as it is.' : 'La policy non permette il messaggio così com\'è.'))));
    out.appendChild(head);
    var ul = el('ul', { 'class': 'list-unstyled' });
    if (!res.verdicts.length) ul.appendChild(el('li', {}, en ? 'Nothing to note.' : 'Nessun rilievo.'));
    res.verdicts.forEach(function (v) {
      var li = el('li', { 'class': 'verdict mb-2' });
      var cls = v.level === 'block' ? 'bg-danger' : v.level === 'warn' ? 'badge-warn' : 'bg-secondary';
      var label = v.level === 'block' ? (en ? 'Blocks' : 'Blocca') : v.level === 'warn' ? (en ? 'Warning' : 'Avviso') : (en ? 'Note' : 'Nota');
      li.appendChild(el('span', { 'class': 'badge ' + cls }, label));
      if (v.overridden) { li.appendChild(document.createTextNode(' ')); li.appendChild(el('span', { 'class': 'badge bg-success' }, en ? 'overridden' : 'superato')); }
      li.appendChild(document.createTextNode(' ' + (en ? v.reason_en : v.reason) + ' '));
      li.appendChild(el('small', { 'class': 'text-muted-strong' }, '(' + v.source + ')'));
      ul.appendChild(li);
    });
    out.appendChild(ul);
    overrides(res.verdicts);
    previews(res.previews);
  }

  function check() {
    var mine = ++seq;
    preview();
    if (!form.elements.text.value) return;
    fetch(out.getAttribute('data-check'), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': out.getAttribute('data-csrf') },
      body: JSON.stringify(body())
    }).then(function (r) { return r.json(); }).then(function (res) {
      if (mine === seq) show(res);
    }).catch(function () { /* the submit still checks */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }
  form.addEventListener('input', function (e) {
    if (e.target.name && e.target.name.indexOf('override_') === 0) return;
    schedule();
  });
  form.addEventListener('change', schedule);
})();
