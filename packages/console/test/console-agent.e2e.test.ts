import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeAgentProvider } from '../../core/test/support/agent-fakes.js';
import { expectOnlyGatewayTraffic, startConsoleRig, type ConsoleRig } from './support/rig.js';
import { screenshot, signIn } from './support/console.js';

/**
 * The agent panel (SPEC §17) in a real browser against a real `opendray serve`: an operator
 * provider runs the fake agent CLI, which replays a recorded real Claude Code (its PTY bytes
 * and its hook calls, on the hooks the gateway injected at spawn).
 */
let rig: ConsoleRig;
beforeAll(async () => {
  rig = await startConsoleRig({ providers: [{ ...fakeAgentProvider('claude'), display_name: 'Fake Claude' }] });
});
afterAll(async () => {
  await rig?.close();
});

// What the recording says: the dialog's command, and the final messages of its two turns.
const DIALOG = 'touch stand-in-tool-output.txt';
const TOOL_REPLY = 'Tool finished: (Bash completed with no output)';
const HELLO_REPLY = 'Stand-in reply 1: say hello to me';
const SLOW = { timeout: 60_000 };

const text = async (l: Locator): Promise<string> => ((await l.count()) ? ((await l.first().textContent()) ?? '') : '');
const agentCell = (page: Page, id: string): Locator => page.locator('tr', { has: page.locator(`a[href="#/sessions/${id}"]`) }).locator('td[data-label="Agent"]');

describe('the console agent panel', () => {
  it('shows the agent state in the list and panel, a dialog from a prompt, answers it with Allow and shows the reply', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.serve.url);
    await page.getByRole('button', { name: 'New session' }).first().click();
    await page.getByRole('radio', { name: /Fake Claude/ }).check();
    await page.fill('#new-name', 'agent');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.waitForURL(/#\/sessions\/ses_/);
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
    expect((await rig.api.getSession(id)).agent?.kind).toBe('claude');

    const panel = page.getByRole('complementary', { name: 'Agent' });
    const state = panel.locator('.agent-state .badge');
    await expect.poll(() => text(state), SLOW).toBe('idle');
    const idle = (await rig.api.getSession(id)).agent!;
    expect(idle.state).toBe('idle');
    expect(await text(panel.locator('.agent-state'))).toContain(`via ${idle.source}`);
    expect(await text(panel.locator('.agent-reply'))).toContain('Nothing yet.');

    // A second tab watches the list: the agent column follows the events, never polled.
    const list = await rig.newPage();
    await signIn(list, rig.serve.url);
    const cell = agentCell(list, id);
    await expect.poll(() => text(cell.locator('.badge')), SLOW).toBe('idle');
    expect(await text(cell)).toContain(`via ${idle.source}`);

    // A prompt that makes the agent ask for a permission: the call answers at the dialog.
    const prompt = panel.locator('#agent-prompt-text');
    const send = panel.locator('form.agent-prompt button[type=submit]');
    await prompt.fill('please run the tool');
    await send.click();
    const dialog = panel.getByRole('alert');
    await expect.poll(() => text(dialog), SLOW).toContain(DIALOG);
    expect(await text(state)).toBe('blocked: permission');
    expect(await text(dialog)).toContain('Waiting for you');
    const blocked = (await rig.api.getSession(id)).agent!;
    expect(blocked).toMatchObject({ state: 'blocked', reason: 'permission', prompt_text: expect.stringContaining(DIALOG), turn: { n: 1 } });
    expect(await text(panel.locator('pre.agent-text'))).toBe(blocked.prompt_text);
    // The call answered (the box was cleared); no second prompt while a dialog is up.
    await expect.poll(() => text(send), SLOW).toBe('Send and wait');
    expect(await prompt.inputValue()).toBe('');
    await prompt.fill('say hello');
    expect(await send.isDisabled()).toBe(true);
    await expect.poll(() => text(cell.locator('.badge')), SLOW).toBe('blocked: permission');
    await screenshot(page, 'agent-blocked');

    await dialog.getByRole('button', { name: 'Allow' }).click();
    const reply = panel.locator('.agent-reply');
    await expect.poll(() => text(reply), SLOW).toContain(TOOL_REPLY);
    expect(await text(reply)).toContain('Reply to turn 1');
    await expect.poll(() => text(state), SLOW).toBe('idle');
    expect(await dialog.count()).toBe(0);
    await expect.poll(() => text(cell.locator('.badge')), SLOW).toBe('idle');
    const report = await rig.api.agent(id);
    expect(report).toMatchObject({ state: 'idle', turn: { n: 1, ended_at: expect.any(String) } });
    expect(report.explain.some((j) => j.from === 'working' && j.to === 'blocked')).toBe(true);
    expect(report.explain.some((j) => j.from === 'blocked' && j.to === 'working')).toBe(true);

    // Why the gateway thinks so: the panel lists the judgements of GET /agent.
    const explain = panel.locator('.agent-explain');
    await explain.locator('summary').click();
    await expect.poll(() => text(explain.locator('ol')), SLOW).toContain('working → blocked');
    await screenshot(page, 'agent-replied');

    // A plain turn through the panel (Ctrl+Enter sends): the prompt's own answer shows its reply.
    expect(await send.isDisabled()).toBe(false);
    expect(await prompt.inputValue()).toBe('say hello');
    await prompt.press('Control+Enter');
    await expect.poll(() => text(reply), SLOW).toContain(HELLO_REPLY);
    expect(await text(reply)).toContain('Reply to turn 2');
    expect(await text(reply)).not.toContain(TOOL_REPLY);
    await expect.poll(() => text(send), SLOW).toBe('Send and wait');
    expect(await prompt.inputValue()).toBe('');
    expect((await rig.api.agent(id)).turn).toMatchObject({ n: 2, ended_at: expect.any(String) });

    await list.close();
    await page.close();
    expectOnlyGatewayTraffic(rig);
  });
});
