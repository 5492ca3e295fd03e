import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { modelLabel, ProgressTracker } from '../progressTracker';

test('shows the model when nothing runs', () => {
    const view = new ProgressTracker().view('starter model');
    assert.equal(view.busy, false);
    assert.equal(view.text, '$(sparkle) Rodimus: starter model');
});

test('follows begin, report and end of an indexing task', () => {
    const tracker = new ProgressTracker();
    tracker.update('idx', { kind: 'begin', title: 'Indexing', percentage: 0 });
    assert.equal(tracker.view('m').text, '$(sync~spin) Rodimus: Indexing 0%');
    tracker.update('idx', { kind: 'report', message: '40/100 files', percentage: 40.4 });
    const busy = tracker.view('m');
    assert.equal(busy.text, '$(sync~spin) Rodimus: Indexing 40%');
    assert.match(busy.tooltip, /Indexing: 40\/100 files/);
    tracker.update('idx', { kind: 'report', message: '90/100 files' });
    assert.equal(tracker.view('m').text, '$(sync~spin) Rodimus: Indexing 40%');
    tracker.update('idx', { kind: 'end' });
    assert.equal(tracker.view('m').busy, false);
});

test('the newest of several tasks is shown, and the older one again when it ends', () => {
    const tracker = new ProgressTracker();
    tracker.update(1, { kind: 'begin', title: 'Indexing' });
    tracker.update(2, { kind: 'begin', title: 'Embedding', percentage: 10 });
    assert.equal(tracker.view('m').text, '$(sync~spin) Rodimus: Embedding 10%');
    tracker.update(2, { kind: 'end' });
    assert.equal(tracker.view('m').text, '$(sync~spin) Rodimus: Indexing');
});

test('a report for an unknown token is ignored', () => {
    const tracker = new ProgressTracker();
    tracker.update('late', { kind: 'report', percentage: 50 });
    assert.equal(tracker.view('m').busy, false);
});

test('model label: folder name, starter model by default, device when set', () => {
    assert.equal(modelLabel('', ''), 'starter model');
    assert.equal(modelLabel(undefined, 'cuda'), 'starter model (cuda)');
    assert.equal(modelLabel('/models/rodimus-plus-1.6b/', 'cpu'), 'rodimus-plus-1.6b (cpu)');
    assert.equal(modelLabel('C:\\models\\r1', undefined), 'r1');
});
