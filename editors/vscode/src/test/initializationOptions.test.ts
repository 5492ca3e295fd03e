import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SETTING_KEYS, SettingsReader, toInitializationOptions } from '../initializationOptions';

/** Settings as VS Code's WorkspaceConfiguration returns them for section "rodimus". */
function reader(values: Record<string, unknown>): SettingsReader {
    return { get: <T>(key: string) => values[key] as T | undefined };
}

/** Settings the extension itself uses; they are not server options. */
const CLIENT_ONLY = ['server.path', 'search.results', 'trace.server'];

test('every setting maps to its place in initializationOptions', () => {
    const mapped = toInitializationOptions(reader({
        'model.path': '/models/rodimus-1.6b',
        'model.device': 'cuda',
        'model.dtype': 'bfloat16',
        'completion.maxTokens': 64,
        'completion.debounceMs': 75,
        'completion.multiline': true,
        'completion.fim': false,
        'completion.documentCache': true,
        'cgm.backend': 'openai',
        'cgm.endpoint': 'http://localhost:8000/v1',
        'cgm.model': 'codefuse-cgm',
        'cgm.apiKeyEnv': 'CGM_API_KEY',
        'index.exclude': ['build/**', '*.min.js'],
        'index.cacheDir': '/tmp/rodimus-cache',
        'diagnostics.syntax': false,
        stateBudgetMB: 512,
    }));
    assert.deepEqual(mapped.warnings, []);
    assert.deepEqual(mapped.options, {
        model: { path: '/models/rodimus-1.6b', device: 'cuda', dtype: 'bfloat16' },
        completion: { maxTokens: 64, debounceMs: 75, multiline: true, fim: false, documentCache: true },
        cgm: { backend: 'openai', endpoint: 'http://localhost:8000/v1', model: 'codefuse-cgm', apiKeyEnv: 'CGM_API_KEY' },
        index: { exclude: ['build/**', '*.min.js'], cacheDir: '/tmp/rodimus-cache' },
        diagnostics: { syntax: false },
        stateBudgetMB: 512,
    });
});

test('empty settings (package.json defaults) leave every key to the server', () => {
    const defaults: Record<string, unknown> = {
        'model.path': '', 'model.device': '', 'model.dtype': '',
        'completion.maxTokens': null, 'completion.debounceMs': null,
        'completion.multiline': null, 'completion.fim': null, 'completion.documentCache': null,
        'cgm.backend': '', 'cgm.endpoint': '  ', 'cgm.model': '', 'cgm.apiKeyEnv': '',
        'index.exclude': null, 'index.cacheDir': '', 'diagnostics.syntax': null, stateBudgetMB: null,
    };
    assert.deepEqual(toInitializationOptions(reader(defaults)), { options: {}, warnings: [] });
    assert.deepEqual(toInitializationOptions(reader({})), { options: {}, warnings: [] });
});

test('false, zero and an empty exclude list are real values, not "unset"', () => {
    const mapped = toInitializationOptions(reader({
        'completion.multiline': false, 'completion.debounceMs': 0, 'index.exclude': [], stateBudgetMB: 0,
    }));
    assert.deepEqual(mapped.options, {
        completion: { multiline: false, debounceMs: 0 },
        index: { exclude: [] },
        stateBudgetMB: 0,
    });
});

test('strings are trimmed', () => {
    const mapped = toInitializationOptions(reader({ 'model.path': '  ~/models/r  ', 'model.device': 'cpu ' }));
    assert.deepEqual(mapped.options, { model: { path: '~/models/r', device: 'cpu' } });
});

test('values of the wrong type are dropped with a warning naming the setting', () => {
    const mapped = toInitializationOptions(reader({
        'completion.maxTokens': 0,
        'completion.debounceMs': 12.5,
        'completion.fim': 'yes',
        'index.exclude': ['ok', 3],
        stateBudgetMB: -1,
        'model.device': 'cpu',
    }));
    assert.deepEqual(mapped.options, { model: { device: 'cpu' } });
    assert.equal(mapped.warnings.length, 5);
    for (const key of ['completion.maxTokens', 'completion.debounceMs', 'completion.fim', 'index.exclude', 'stateBudgetMB']) {
        assert.ok(mapped.warnings.some((w) => w.startsWith(`rodimus.${key}:`)), `no warning for ${key}`);
    }
});

test('package.json declares exactly the mapped settings plus the client-only ones', () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const declared = Object.keys(manifest.contributes.configuration.properties).map((k) => k.replace(/^rodimus\./, ''));
    assert.deepEqual([...declared].sort(), [...SETTING_KEYS, ...CLIENT_ONLY].sort());
});
