/** The status bar item: indexing/embedding/fixing progress while it runs, else the model in use. */
import * as vscode from 'vscode';
import { ProgressTracker, ProgressValue } from './progressTracker';

export class RodimusStatusBar implements vscode.Disposable {
    private readonly item = vscode.window.createStatusBarItem('rodimus.status', vscode.StatusBarAlignment.Right, 100);
    private readonly tracker = new ProgressTracker();
    private model = 'starter model';
    private failure: string | undefined;

    constructor(clickCommand: string) {
        this.item.name = 'Rodimus';
        this.item.command = clickCommand;
        this.render();
        this.item.show();
    }

    setModel(model: string): void {
        this.model = model;
        this.render();
    }

    progress(token: string | number, value: ProgressValue): void {
        this.tracker.update(token, value);
        this.render();
    }

    /** The server stopped (or failed to start): forget its progress and say so. */
    stopped(reason: string | undefined): void {
        this.tracker.clear();
        this.failure = reason;
        this.render();
    }

    running(): void {
        this.failure = undefined;
        this.render();
    }

    dispose(): void {
        this.item.dispose();
    }

    private render(): void {
        if (this.failure !== undefined) {
            this.item.text = '$(error) Rodimus';
            this.item.tooltip = this.failure;
            return;
        }
        const view = this.tracker.view(this.model);
        this.item.text = view.text;
        this.item.tooltip = view.tooltip;
    }
}
