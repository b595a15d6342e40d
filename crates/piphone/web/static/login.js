// Login page: the sandbox banner and a plain-words message for ?error=… from a failed POST /login.
import { showModeBanner } from './common.js';

const MESSAGES = {
  invalid: 'Wrong username or password.',
  rate: 'Too many attempts. Wait a minute, then try again.',
  link: 'That sign-in link has expired or was already used.',
};

showModeBanner();
const code = new URLSearchParams(location.search).get('error');
if (code) {
  const box = document.getElementById('login-error');
  box.textContent = MESSAGES[code] ?? 'Sign-in failed. Try again.';
  box.hidden = false;
}
