// How the page words the relay's refusals; no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeServerError, describeClose } from '../../ui/js/call/session.js';

test('a passcode refusal for too many attempts keeps the time to wait', () => {
  const words = describeServerError({
    code: 'too-many-attempts',
    message: 'too many wrong passcodes from your address; try again in 8 s',
  });
  assert.match(String(words), /try again in 8 s/);
  // Without its error frame, the 4001 close still reads as a passcode problem.
  assert.match(String(describeClose({ code: 4001, reason: 'too many passcode attempts' })), /passcode/i);
});
