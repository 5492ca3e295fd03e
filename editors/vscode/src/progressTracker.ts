/**
 * Follows the server's work-done progress (`$/progress` begin/report/end, one stream per token)
 * and says what the status bar should show. Pure, so it is unit-tested with node alone.
 */

export type ProgressValue =
    | { kind: 'begin'; title: string; message?: string; percentage?: number }
    | { kind: 'report'; message?: string; percentage?: number }
    | { kind: 'end'; message?: string };

interface Task {
    title: string;
    message?: string;
    percentage?: number;
}

export interface StatusView {
    /** Status bar text; `$(...)` are VS Code codicons. */
    text: string;
    tooltip: string;
    busy: boolean;
}

export class ProgressTracker {
    private readonly tasks = new Map<string | number, Task>();

    update(token: string | number, value: ProgressValue): void {
        if (value.kind === 'begin') {
            this.tasks.set(token, { title: value.title, message: value.message, percentage: value.percentage });
            return;
        }
        if (value.kind === 'end') {
            this.tasks.delete(token);
            return;
        }
        const task = this.tasks.get(token);
        if (task !== undefined) {
            task.message = value.message ?? task.message;
            task.percentage = value.percentage ?? task.percentage;
        }
    }

    clear(): void {
        this.tasks.clear();
    }

    /** What to show: the most recently started task while any runs, else the model in use. */
    view(model: string): StatusView {
        const running = [...this.tasks.values()];
        if (running.length === 0) {
            return { text: `$(sparkle) Rodimus: ${model}`, tooltip: `rodimus-lsp is ready\nModel: ${model}`, busy: false };
        }
        const task = running[running.length - 1];
        const percent = task.percentage === undefined ? '' : ` ${Math.round(task.percentage)}%`;
        const details = running.map((t) => (t.message ? `${t.title}: ${t.message}` : t.title)).join('\n');
        return {
            text: `$(sync~spin) Rodimus: ${task.title}${percent}`,
            tooltip: `${details}\nModel: ${model}`,
            busy: true,
        };
    }
}

/** Short name of the model the settings select: the folder's last path part, else the starter model. */
export function modelLabel(modelPath: string | undefined, device: string | undefined): string {
    const trimmed = (modelPath ?? '').trim().replace(/[\\/]+$/, '');
    const name = trimmed === '' ? 'starter model' : trimmed.split(/[\\/]/).pop() as string;
    const onDevice = (device ?? '').trim();
    return onDevice === '' ? name : `${name} (${onDevice})`;
}
