/**
 * The palette commands: each asks the user for input, runs one of the server's
 * `workspace/executeCommand` commands (ARCHITECTURE: rodimus.fixIssue, rodimus.semanticSearch,
 * rodimus.reindex) and presents the result. The VS Code command ids differ from the server's
 * command names on purpose: vscode-languageclient registers the server's names itself.
 */
import * as vscode from 'vscode';
import {
    ExecuteCommandRequest,
    LanguageClient,
    WorkspaceEdit as LspWorkspaceEdit,
} from 'vscode-languageclient/node';

/** One hit of `rodimus.semanticSearch` (paths relative to the workspace root, 1-based lines). */
interface SearchHit {
    path: string;
    name: string;
    kind: string;
    start_line: number;
    end_line: number;
    score: number;
}

/** `rodimus.fixIssue`: the `fix --json` output plus the edit. */
interface FixResult {
    patch?: string;
    edit?: LspWorkspaceEdit | null;
}

/** `rodimus.reindex`: the `index --json` output. */
interface IndexResult {
    files?: number;
    seconds?: number;
    cache?: string;
}

type ClientGetter = () => LanguageClient | undefined;

function runningClient(getClient: ClientGetter): LanguageClient | undefined {
    const client = getClient();
    if (client === undefined || !client.isRunning()) {
        void vscode.window.showErrorMessage('Rodimus: the language server is not running (see the Rodimus output).');
        return undefined;
    }
    return client;
}

/** Runs a server command under a cancellable notification; the token reaches the server as $/cancelRequest. */
async function execute<T>(client: LanguageClient, title: string, command: string, args: unknown[]): Promise<T | undefined> {
    try {
        return await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title, cancellable: true },
            (_progress, token) => client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token) as Promise<T>,
        );
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        void vscode.window.showErrorMessage(`Rodimus: ${command} failed: ${message}`);
        return undefined;
    }
}

function workspaceRoot(): vscode.Uri | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri;
}

function editedFileCount(edit: LspWorkspaceEdit): number {
    const uris = new Set<string>(Object.keys(edit.changes ?? {}));
    for (const change of edit.documentChanges ?? []) {
        if ('textDocument' in change) {
            uris.add(change.textDocument.uri);
        } else if ('uri' in change) {
            uris.add(change.uri);
        } else {
            uris.add(change.newUri);
        }
    }
    return uris.size;
}

export async function fixIssue(getClient: ClientGetter): Promise<void> {
    const client = runningClient(getClient);
    if (client === undefined) {
        return;
    }
    const editor = vscode.window.activeTextEditor;
    const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
    const issue = await vscode.window.showInputBox({
        title: 'Rodimus: Fix issue',
        prompt: 'Describe the bug or paste the issue text',
        value: selected,
        ignoreFocusOut: true,
    });
    if (issue === undefined || issue.trim() === '') {
        return;
    }
    const result = await execute<FixResult>(client, 'Rodimus: writing a fix...', 'rodimus.fixIssue', [{ issue, apply: false }]);
    if (result === undefined) {
        return;
    }
    if (!result.edit || editedFileCount(result.edit) === 0) {
        void vscode.window.showInformationMessage('Rodimus: no fix was proposed for this issue.');
        return;
    }
    if (result.patch) {
        const preview = await vscode.workspace.openTextDocument({ language: 'diff', content: result.patch });
        await vscode.window.showTextDocument(preview, { preview: true, preserveFocus: true });
    }
    const count = editedFileCount(result.edit);
    const choice = await vscode.window.showInformationMessage(
        `Apply the proposed fix to ${count} file${count === 1 ? '' : 's'}?`,
        { modal: true, detail: 'The patch is shown in the diff editor. Nothing is written until you apply it.' },
        'Apply',
    );
    if (choice !== 'Apply') {
        return;
    }
    const edit = await client.protocol2CodeConverter.asWorkspaceEdit(result.edit);
    if (!(await vscode.workspace.applyEdit(edit))) {
        void vscode.window.showErrorMessage('Rodimus: the fix could not be applied (the files changed meanwhile?).');
    }
}

export async function semanticSearch(getClient: ClientGetter): Promise<void> {
    const client = runningClient(getClient);
    if (client === undefined) {
        return;
    }
    const query = await vscode.window.showInputBox({ title: 'Rodimus: Semantic search', prompt: 'Describe the code you are looking for' });
    if (query === undefined || query.trim() === '') {
        return;
    }
    const k = vscode.workspace.getConfiguration('rodimus').get<number>('search.results', 20);
    const hits = await execute<SearchHit[]>(client, 'Rodimus: searching...', 'rodimus.semanticSearch', [{ query, k }]);
    if (hits === undefined) {
        return;
    }
    if (hits.length === 0) {
        void vscode.window.showInformationMessage(`Rodimus: nothing found for "${query}".`);
        return;
    }
    const picked = await vscode.window.showQuickPick(
        hits.map((hit) => ({
            label: hit.name,
            description: `${hit.path}:${hit.start_line}`,
            detail: `${hit.kind} · score ${hit.score.toFixed(3)}`,
            hit,
        })),
        { title: `Rodimus: ${hits.length} results for "${query}"`, matchOnDescription: true },
    );
    const root = workspaceRoot();
    if (picked === undefined || root === undefined) {
        return;
    }
    const line = Math.max(0, picked.hit.start_line - 1);
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(root, ...picked.hit.path.split('/')));
    await vscode.window.showTextDocument(document, { selection: new vscode.Range(line, 0, line, 0) });
}

export async function reindex(getClient: ClientGetter): Promise<void> {
    const client = runningClient(getClient);
    if (client === undefined) {
        return;
    }
    const result = await execute<IndexResult>(client, 'Rodimus: indexing the workspace...', 'rodimus.reindex', []);
    if (result !== undefined) {
        const seconds = result.seconds === undefined ? '' : ` in ${result.seconds.toFixed(1)} s`;
        void vscode.window.showInformationMessage(`Rodimus: indexed ${result.files ?? 0} files${seconds}.`);
    }
}
