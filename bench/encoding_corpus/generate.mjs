// Reads a JSON list of strings on stdin; writes Twilio's segment calculator results as JSON.
// Usage: python corpus.py | node generate.mjs > ../../tests/fixtures/encoding/twilio_segments.json
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SegmentedMessage } from 'sms-segments-calculator';

const require = createRequire(import.meta.url);
const { version } = require('sms-segments-calculator/package.json');

const texts = JSON.parse(readFileSync(0, 'utf8'));
const cases = texts.map((text) => {
  // Raw text, 'auto' encoding, smart encoding off (the calculator's defaults).
  const message = new SegmentedMessage(text);
  const bitsPerUnit = message.encodingName === 'GSM-7' ? 7 : 16;
  return {
    text,
    encoding: message.encodingName,
    segments: message.segmentsCount,
    characters: message.numberOfUnicodeScalars,
    units: message.messageSize / bitsPerUnit,
  };
});

// One case per line keeps diffs of the committed fixture readable.
const header = JSON.stringify(`sms-segments-calculator@${version}`);
const lines = cases.map((entry) => `  ${JSON.stringify(entry)}`).join(',\n');
process.stdout.write(`{\n "calculator": ${header},\n "cases": [\n${lines}\n ]\n}\n`);
