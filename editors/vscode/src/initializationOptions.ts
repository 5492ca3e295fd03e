/**
 * Maps the extension's `rodimus.*` settings to the server's `initializationOptions`
 * (the same object is sent as `workspace/didChangeConfiguration` settings under `rodimus`).
 *
 * Pure: no `vscode` import, so it is unit-tested with node alone. Every server key is
 * optional, so a setting left empty (null, "") is omitted and the server keeps its own
 * default; a value of the wrong type is omitted too and reported as a warning.
 */

/** Reads one setting by its key below the `rodimus` section, e.g. `model.path`. */
export interface SettingsReader {
    get<T>(key: string): T | undefined;
}

export interface InitializationOptions {
    model?: { path?: string; device?: string; dtype?: string };
    completion?: { maxTokens?: number; debounceMs?: number; multiline?: boolean; fim?: boolean; documentCache?: boolean };
    cgm?: { backend?: string; endpoint?: string; model?: string; apiKeyEnv?: string };
    index?: { exclude?: string[]; cacheDir?: string };
    diagnostics?: { syntax?: boolean };
    stateBudgetMB?: number;
}

export interface MappedOptions {
    options: InitializationOptions;
    /** One line per setting that was dropped because its value has the wrong type. */
    warnings: string[];
}

type Kind = 'string' | 'integer' | 'number' | 'boolean' | 'string[]';

/** Setting key (below `rodimus.`) -> where it goes in the options and what it must hold. */
const FIELDS: ReadonlyArray<{ key: string; path: readonly string[]; kind: Kind; min?: number }> = [
    { key: 'model.path', path: ['model', 'path'], kind: 'string' },
    { key: 'model.device', path: ['model', 'device'], kind: 'string' },
    { key: 'model.dtype', path: ['model', 'dtype'], kind: 'string' },
    { key: 'completion.maxTokens', path: ['completion', 'maxTokens'], kind: 'integer', min: 1 },
    { key: 'completion.debounceMs', path: ['completion', 'debounceMs'], kind: 'integer', min: 0 },
    { key: 'completion.multiline', path: ['completion', 'multiline'], kind: 'boolean' },
    { key: 'completion.fim', path: ['completion', 'fim'], kind: 'boolean' },
    { key: 'completion.documentCache', path: ['completion', 'documentCache'], kind: 'boolean' },
    { key: 'cgm.backend', path: ['cgm', 'backend'], kind: 'string' },
    { key: 'cgm.endpoint', path: ['cgm', 'endpoint'], kind: 'string' },
    { key: 'cgm.model', path: ['cgm', 'model'], kind: 'string' },
    { key: 'cgm.apiKeyEnv', path: ['cgm', 'apiKeyEnv'], kind: 'string' },
    { key: 'index.exclude', path: ['index', 'exclude'], kind: 'string[]' },
    { key: 'index.cacheDir', path: ['index', 'cacheDir'], kind: 'string' },
    { key: 'diagnostics.syntax', path: ['diagnostics', 'syntax'], kind: 'boolean' },
    { key: 'stateBudgetMB', path: ['stateBudgetMB'], kind: 'number', min: 0 },
];

/** The setting keys the mapping reads, for callers that watch them for changes. */
export const SETTING_KEYS: readonly string[] = FIELDS.map((field) => field.key);

function isUnset(value: unknown): boolean {
    return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function hasKind(value: unknown, kind: Kind, min: number | undefined): boolean {
    switch (kind) {
        case 'string':
            return typeof value === 'string';
        case 'boolean':
            return typeof value === 'boolean';
        case 'integer':
            return Number.isInteger(value) && (min === undefined || (value as number) >= min);
        case 'number':
            return typeof value === 'number' && Number.isFinite(value) && (min === undefined || value >= min);
        case 'string[]':
            return Array.isArray(value) && value.every((item) => typeof item === 'string');
    }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
    let node = target;
    for (const part of path.slice(0, -1)) {
        node[part] ??= {};
        node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = typeof value === 'string' ? value.trim() : value;
}

export function toInitializationOptions(settings: SettingsReader): MappedOptions {
    const options: Record<string, unknown> = {};
    const warnings: string[] = [];
    for (const field of FIELDS) {
        const value = settings.get<unknown>(field.key);
        if (isUnset(value)) {
            continue;
        }
        if (!hasKind(value, field.kind, field.min)) {
            const bound = field.min === undefined ? '' : ` >= ${field.min}`;
            warnings.push(`rodimus.${field.key}: expected ${field.kind}${bound}, got ${JSON.stringify(value)}; using the server default`);
            continue;
        }
        setPath(options, field.path, value);
    }
    return { options: options as InitializationOptions, warnings };
}
