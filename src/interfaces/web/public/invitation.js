/* global document, location, history, fetch */
// (Browser globals declared for ESLint: this file runs in the page, not in Node.)

const $ = (id) => document.getElementById(id);

/** The invitation token travels in the link's fragment (never sent to a server in a URL); kept in memory only. */
const token = location.hash.slice(1);
history.replaceState(null, '', location.pathname);

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.errors?.[0]?.message ?? answer.title ?? `HTTP ${response.status}`);
  return answer;
}

$('password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const enrolment = await post('/auth/invitation/password', { token, password: $('password').value });
    $('totp-secret').textContent = enrolment.totpSecret.replace(/(.{4})/g, '$1 ').trim();
    $('otpauth-link').href = enrolment.otpauthUri;
    for (const code of enrolment.recoveryCodes) {
      const item = document.createElement('li');
      item.textContent = code;
      $('recovery-codes').append(item);
    }
    $('password-form').hidden = true;
    $('code-form').hidden = false;
    $('code').focus();
  } catch (error) {
    $('password-error').textContent = error.message;
  }
});

$('code-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await post('/auth/invitation/confirm', { token, code: $('code').value.trim() });
    $('code-form').hidden = true;
    $('ready').hidden = false;
  } catch (error) {
    $('code-error').textContent = error.message;
  }
});
