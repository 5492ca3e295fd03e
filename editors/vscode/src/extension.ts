/**
 * Starts `rodimus-lsp serve` over stdio and wires the client to VS Code. Thin on purpose: inline
 * completions, hover, definitions and the "Fix this issue" code action come from the server through
 * vscode-languageclient (>= 10 registers inline completion by default).
 */
import * as vscode from 'vscode';
import {
    DidChangeConfigurationNotification,
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
    State,
    TransportKind,
} from 'vscode-languageclient/node';
import { toInitializationOptions, InitializationOptions } from './initializationOptions';
import { modelLabel } from './progressTracker';
import { RodimusStatusBar } from './statusBar';
import { fixIssue, reindex, semanticSearch } from './serverCommands';

/** Languages the code graph understands; inline completion is offered in the same files. */
const LANGUAGES = ['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'java', 'rust', 'c', 'cpp'];

let client: LanguageClient | undefined;

function settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('rodimus');
}

function mappedOptions(output: vscode.LogOutputChannel): InitializationOptions {
    const mapped = toInitializationOptions(settings());
    for (const warning of mapped.warnings) {
        output.warn(warning);
    }
    return mapped.options;
}

function currentModel(): string {
    return modelLabel(settings().get<string>('model.path'), settings().get<string>('model.device'));
}

function createClient(output: vscode.LogOutputChannel, statusBar: RodimusStatusBar): LanguageClient {
    const command = settings().get<string>('server.path', 'rodimus-lsp').trim() || 'rodimus-lsp';
    const server: ServerOptions = { command, args: ['serve'], transport: TransportKind.stdio };
    const options: LanguageClientOptions = {
        documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
        outputChannel: output,
        initializationOptions: () => mappedOptions(output),
        middleware: {
            handleWorkDoneProgress: (token, params, next) => {
                statusBar.progress(token, params);
                next(token, params);
            },
            workspace: {
                // A `workspace/configuration` pull for section "rodimus" gets the same mapped object.
                configuration: async (params, token, next) => {
                    const answers = await next(params, token);
                    if (!Array.isArray(answers)) {
                        return answers;
                    }
                    return params.items.map((item, i) => (item.section === 'rodimus' ? mappedOptions(output) : answers[i]));
                },
            },
        },
    };
    const created = new LanguageClient('rodimus', 'Rodimus', server, options);
    created.onDidChangeState((change) => {
        if (change.newState === State.Running) {
            statusBar.running();
        } else if (change.newState === State.Stopped) {
            statusBar.stopped(`rodimus-lsp is not running (command: ${command} serve); see the Rodimus output`);
        }
    });
    return created;
}

async function startClient(output: vscode.LogOutputChannel, statusBar: RodimusStatusBar): Promise<void> {
    client = createClient(output, statusBar);
    statusBar.setModel(currentModel());
    try {
        await client.start();
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        output.error(`could not start the server: ${message}`);
        statusBar.stopped(`rodimus-lsp failed to start: ${message}`);
        void vscode.window.showErrorMessage(`Rodimus: could not start the language server (${message}). Check "rodimus.server.path".`);
    }
}

async function stopClient(): Promise<void> {
    const running = client;
    client = undefined;
    if (running !== undefined && running.needsStop()) {
        await running.stop();
    }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const output = vscode.window.createOutputChannel('Rodimus', { log: true });
    const statusBar = new RodimusStatusBar('rodimus.ui.showOutput');
    const getClient = () => client;
    const restart = async () => {
        await stopClient();
        await startClient(output, statusBar);
    };
    context.subscriptions.push(
        output,
        statusBar,
        vscode.commands.registerCommand('rodimus.ui.fixIssue', () => fixIssue(getClient)),
        vscode.commands.registerCommand('rodimus.ui.semanticSearch', () => semanticSearch(getClient)),
        vscode.commands.registerCommand('rodimus.ui.reindex', () => reindex(getClient)),
        vscode.commands.registerCommand('rodimus.ui.restart', restart),
        vscode.commands.registerCommand('rodimus.ui.showOutput', () => output.show(true)),
        vscode.workspace.onDidChangeConfiguration(async (event) => {
            if (!event.affectsConfiguration('rodimus')) {
                return;
            }
            if (event.affectsConfiguration('rodimus.server.path')) {
                await restart();
                return;
            }
            statusBar.setModel(currentModel());
            if (client?.isRunning()) {
                await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { rodimus: mappedOptions(output) } });
            }
        }),
    );
    await startClient(output, statusBar);
}

export async function deactivate(): Promise<void> {
    await stopClient();
}
