/**
 * Configuration: one zod schema (src/service/env-schema.ts) is the only list of variables; every
 * problem is reported at once; `.env.example` is generated from the schema and kept in step.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import crypto from 'node:crypto';
import { ConfigError, engineDevice, loadConfig } from '../src/service/config.ts';
import { renderEnvExample } from '../src/service/env-example.ts';
import { EnvSchema, envDoc, type EnvKey } from '../src/service/env-schema.ts';
import { REPO } from '../testkit/fixtures.ts';

/** The problems listed by the ConfigError that loadConfig(env) throws. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    const [head, ...lines] = err.message.split('\n');
    assert.match(head!, new RegExp(`^invalid configuration \\(${lines.length} problems?\\):$`));
    return lines.map((l) => l.trim());
  }
  assert.fail('loadConfig accepted the configuration');
}

describe('configuration errors', () => {
  test('every bad variable and every broken rule is reported at once, in one message', () => {
    const found = problems({
      NODE_ENV: 'production',
      PORT: 'eighty',
      SKINSIGHT_UPLOAD_LIMIT_MB: '-1',
      SKINSIGHT_DB: 'postgres',
      SKINSIGHT_HEADER_TIMEOUT_S: '300',
      SKINSIGHT_API_KEYS: 'short',
      SKINSIGHT_AB_SPLIT: 'wrinkles=1.0.0:1',
    });
    const expected = [
      /^PORT: /,
      /^SKINSIGHT_UPLOAD_LIMIT_MB: /,
      /^SKINSIGHT_AB_SPLIT: unknown model task "wrinkles"/,
      /^SKINSIGHT_JWT_SECRET is required when NODE_ENV=production$/,
      /^refused in production \(NODE_ENV=production\): SKINSIGHT_JWT_SECRET holds about 0 bits/,
      /^refused in production \(NODE_ENV=production\): SKINSIGHT_API_KEYS: 1 key\(s\) under 24 characters$/,
      /^SKINSIGHT_HEADER_TIMEOUT_S must not exceed SKINSIGHT_BODY_TIMEOUT_S/,
      /^SKINSIGHT_DATABASE_URL is required when SKINSIGHT_DB=postgres$/,
    ];
    assert.equal(found.length, expected.length, found.join('\n'));
    for (const re of expected) assert.ok(found.some((p) => re.test(p)), `missing ${re}\nin:\n${found.join('\n')}`);
  });

  test('a rule between variables is checked only when the variables it reads are valid', () => {
    // An unknown database is reported once, not again as "the postgres image store needs SKINSIGHT_DB=postgres".
    assert.deepEqual(problems({ SKINSIGHT_DB: 'mysql', SKINSIGHT_IMAGE_STORE: 'postgres' }).map((p) => p.split(':')[0]), ['SKINSIGHT_DB']);
    assert.deepEqual(problems({ SKINSIGHT_WAIT_TIMEOUT_S: '120' }), ['SKINSIGHT_IDLE_TIMEOUT_S must exceed SKINSIGHT_WAIT_TIMEOUT_S (a ?wait=true upload is silent while it waits)']);
  });

  test('blank values mean unset: the defaults apply', () => {
    assert.equal(loadConfig({ PORT: '', SKINSIGHT_WORKERS: '' }).port, 8080);
    assert.equal(loadConfig({ SKINSIGHT_WORKERS: '' }).queue.workers, undefined);
  });
});

describe('settings that used to be read outside the schema (found by review)', () => {
  test('SKINSIGHT_DEVICE is in the schema: the service config and `skinsight analyze` read it the same way', () => {
    assert.equal(loadConfig({}).device, 'auto');
    assert.equal(loadConfig({ SKINSIGHT_DEVICE: 'cpu' }).device, 'cpu');
    assert.equal(engineDevice({ SKINSIGHT_DEVICE: 'cpu' }), 'cpu');
    assert.equal(engineDevice({ SKINSIGHT_DEVICE: '' }), 'auto');
    // A typo was silently `auto` (CUDA where present); now it is a configuration problem.
    assert.match(problems({ SKINSIGHT_DEVICE: 'gpu' })[0]!, /^SKINSIGHT_DEVICE: /);
    assert.throws(() => engineDevice({ SKINSIGHT_DEVICE: 'CPU' }), (err) => err instanceof ConfigError && /SKINSIGHT_DEVICE/.test(err.message));
  });

  test('production refuses a webhook secret that is well-formed but not random', () => {
    const env = { NODE_ENV: 'production', SKINSIGHT_JWT_SECRET: crypto.randomBytes(48).toString('base64'), SKINSIGHT_WEBHOOK_URL: 'https://hooks.example.org/skinsight' };
    const weak = `whsec_${Buffer.alloc(24).toString('base64')}`; // 24 zero bytes: the format is right
    assert.deepEqual(problems({ ...env, SKINSIGHT_WEBHOOK_SECRET: weak }), [
      'refused in production (NODE_ENV=production): SKINSIGHT_WEBHOOK_SECRET holds about 0 bits; 192 (24 random bytes) are needed: whsec_$(openssl rand -base64 32)',
    ]);
    // The base64 of a passphrase looks random as text; its bytes are judged (found by review).
    const phrase = `whsec_${Buffer.from('password-password-secret').toString('base64')}`;
    assert.match(problems({ ...env, SKINSIGHT_WEBHOOK_SECRET: phrase })[0]!, /SKINSIGHT_WEBHOOK_SECRET holds about \d+ bits; 192/);
    assert.match(problems({ ...env, SKINSIGHT_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' })[0]!, /^SKINSIGHT_WEBHOOK_SECRET: must be whsec_ followed by base64 of 24 to 64 bytes/);
    assert.equal(loadConfig({ ...env, SKINSIGHT_WEBHOOK_SECRET: `whsec_${crypto.randomBytes(24).toString('base64')}` }).webhook?.url, env.SKINSIGHT_WEBHOOK_URL);
    // Development keeps accepting any well-formed secret (tests use fixed ones).
    assert.ok(loadConfig({ SKINSIGHT_WEBHOOK_URL: env.SKINSIGHT_WEBHOOK_URL, SKINSIGHT_WEBHOOK_SECRET: weak }).webhook);
  });
});

describe('.env.example', () => {
  const file = path.join(REPO, '.env.example');

  test('is the file generated from the schema (run `npm run env:example` after changing env-schema.ts)', () => {
    assert.equal(fs.readFileSync(file, 'utf8'), renderEnvExample());
  });

  test('documents every variable once, and its values are the defaults', () => {
    const text = fs.readFileSync(file, 'utf8');
    const values = Object.fromEntries(
      text
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const keys = Object.keys(EnvSchema.shape) as EnvKey[];
    assert.deepEqual(Object.keys(values).sort(), [...keys].sort());
    for (const key of keys) {
      assert.ok(envDoc(key).description.length > 10, `${key} is described`);
      assert.equal(text.split('\n').filter((l) => l.startsWith(`${key}=`)).length, 1, `${key} appears once`);
    }
    // Copied as it is, the example configures exactly the defaults (the JWT secret is random in both).
    const strip = (c: ReturnType<typeof loadConfig>) => ({ ...c, jwt: { ...c.jwt, secret: '' } });
    assert.deepEqual(strip(loadConfig(values)), strip(loadConfig({})));
  });
});
